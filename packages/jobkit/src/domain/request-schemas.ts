/**
 * Field rules of requests that both the JobService and the HTTP API validate (the HTTP schemas import these,
 * so the two can never disagree on what a cost, an error code or a list query is).
 */
import { z } from 'zod';
import { skuSchema, statusSchema, themeSchema } from './validation.js';

/** Provider spend of one step, USD. */
export const costUsdSchema = z.number().finite().min(0).max(1_000_000);

/** A job's error code as an outside orchestrator reports it. */
export const errorCodeSchema = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'must be an UPPER_SNAKE error code');

/** listJobs' filter and page (numbers may arrive as query-string text). */
export const listJobsQuerySchema = z
  .object({
    status: statusSchema.optional(),
    sku: skuSchema.optional(),
    theme: themeSchema.optional(),
    limit: z.coerce.number().int().min(1).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  })
  .strict();

/** rejectJob's input: why the cut is wrong, and optionally "cut it again with the hosted segmenter". */
export const rejectJobSchema = z
  .object({ reason: z.string().trim().min(1, 'say why the cut is rejected').max(2000), retryWith: z.literal('hosted').optional() })
  .strict();
