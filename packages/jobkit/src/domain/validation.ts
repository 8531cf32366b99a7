import { z } from 'zod';
import { invalidInput } from '../errors.js';
import { JOB_STATUSES } from './status.js';

/** SKUs end up in object keys and paths: the pattern makes traversal impossible. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const THEME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const skuSchema = z
  .string()
  .regex(SKU_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
  .refine((s) => !s.includes('..'), 'must not contain ".."');
export const sha256Schema = z.string().regex(SHA256_PATTERN, 'must be 64 lowercase hex characters');
export const themeSchema = z.string().regex(THEME_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,31}$');
export const jobIdSchema = z.string().regex(JOB_ID_PATTERN, 'must be a job id');
export const statusSchema = z.enum(JOB_STATUSES);
export const driverSchema = z.enum(['worker', 'external']);
export const httpUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

/**
 * Parses `value` with `schema`, turning the first zod issue into INVALID_INPUT naming the field.
 * `root` is the name of the whole argument (used when the issue has no path).
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, root = 'input'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
  throw invalidInput(field, issue.message);
}
