import { invalidInput } from 'jobkit';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { normalizePrefix, validateBucket } from './options.js';

/** What {@link s3ConfigFromEnv} returns: options for `createS3ObjectStore` with a `clientConfig`. */
export interface S3EnvConfig {
  bucket: string;
  prefix?: string;
  publicUrls?: boolean;
  clientConfig: S3ClientConfig & { region: string };
}

const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function flag(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw invalidInput(name, `must be true or false, got ${JSON.stringify(raw).slice(0, 40)}`);
}

/**
 * Reads the S3 object store settings from environment variables; null when `JOBKIT_S3_BUCKET` is unset.
 *
 *   JOBKIT_S3_BUCKET            the bucket (required to enable S3)
 *   JOBKIT_S3_PREFIX            optional key prefix
 *   JOBKIT_S3_ENDPOINT          optional http(s) endpoint of an S3-compatible server (R2, MinIO)
 *   JOBKIT_S3_REGION            default us-east-1 (R2: auto)
 *   JOBKIT_S3_FORCE_PATH_STYLE  true/false; defaults to true when JOBKIT_S3_ENDPOINT is set
 *   JOBKIT_S3_PUBLIC_URLS       true/false; whether presigned URLs are reachable from the internet (default true)
 *   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)  optional; otherwise the SDK's default chain
 *
 * A bad value throws INVALID_INPUT naming the variable.
 */
export function s3ConfigFromEnv(env: Record<string, string | undefined> = process.env): S3EnvConfig | null {
  const bucketRaw = env.JOBKIT_S3_BUCKET?.trim();
  if (!bucketRaw) return null;
  const bucket = validateBucket(bucketRaw, 'JOBKIT_S3_BUCKET');
  const prefix = normalizePrefix(env.JOBKIT_S3_PREFIX?.trim(), 'JOBKIT_S3_PREFIX');

  const region = env.JOBKIT_S3_REGION?.trim() || 'us-east-1';
  if (!REGION_PATTERN.test(region)) throw invalidInput('JOBKIT_S3_REGION', `invalid region ${JSON.stringify(region).slice(0, 40)}`);

  const endpointRaw = env.JOBKIT_S3_ENDPOINT?.trim();
  let endpoint: string | undefined;
  if (endpointRaw) {
    let url: URL;
    try {
      url = new URL(endpointRaw);
    } catch {
      throw invalidInput('JOBKIT_S3_ENDPOINT', 'must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput('JOBKIT_S3_ENDPOINT', 'must be an http(s) URL');
    if (url.username || url.password) throw invalidInput('JOBKIT_S3_ENDPOINT', 'must not contain credentials (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)');
    if (url.search || url.hash) throw invalidInput('JOBKIT_S3_ENDPOINT', 'must not contain a query or fragment');
    endpoint = endpointRaw.replace(/\/+$/, '');
  }
  // Compatible servers are usually reached by path (no wildcard DNS for bucket subdomains).
  const forcePathStyle = flag(env, 'JOBKIT_S3_FORCE_PATH_STYLE') ?? (endpoint ? true : undefined);
  const publicUrls = flag(env, 'JOBKIT_S3_PUBLIC_URLS');

  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  const sessionToken = env.AWS_SESSION_TOKEN?.trim();
  if (accessKeyId && !secretAccessKey) throw invalidInput('AWS_SECRET_ACCESS_KEY', 'is required when AWS_ACCESS_KEY_ID is set');
  if (secretAccessKey && !accessKeyId) throw invalidInput('AWS_ACCESS_KEY_ID', 'is required when AWS_SECRET_ACCESS_KEY is set');

  const clientConfig: S3EnvConfig['clientConfig'] = {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  };
  return {
    bucket,
    ...(prefix ? { prefix } : {}),
    ...(publicUrls !== undefined ? { publicUrls } : {}),
    clientConfig,
  };
}
