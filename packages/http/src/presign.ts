/** Presigned PUT/GET URL pairs for a job's object keys (keys built only through the core's keys.*). */
import { JobkitError, contentTypeForKey, keys, type Job, type ObjectStore } from 'jobkit';
import type { PresignBody } from './schemas.js';

export interface PresignedPair {
  key: string;
  put?: string;
  putHeaders?: Record<string, string>;
  get?: string;
  expiresAt: string;
}

export async function presignPair(objects: ObjectStore, key: string, type: 'put' | 'get' | 'both', expiresInSec: number): Promise<PresignedPair> {
  const pair: PresignedPair = { key, expiresAt: '' };
  if (type !== 'get') {
    const put = await objects.presign(key, { method: 'PUT', expiresInSec, contentType: contentTypeForKey(key) });
    pair.put = put.url;
    pair.putHeaders = put.headers;
    pair.expiresAt = put.expiresAt;
  }
  if (type !== 'put') {
    const get = await objects.presign(key, { method: 'GET', expiresInSec });
    pair.get = get.url;
    pair.expiresAt = get.expiresAt;
  }
  return pair;
}

/** The object key a presign request names, for this job. */
export function keyForPresign(job: Job, body: PresignBody): string {
  const variant = body.variant ?? 1;
  const aspect = body.aspect ?? '1x1';
  switch (body.kind) {
    case 'original':
      return job.originalKey ?? keys.original(job, 'jpg');
    case 'mask':
      return keys.mask(job);
    case 'bg':
      return keys.background(job, variant);
    case 'composite':
      return keys.composite(job, aspect, variant);
    case 'thumb':
      return keys.thumbnail(job, aspect, variant);
  }
}

/** Uploads into a job's keys are for outside orchestrators only: the built-in worker owns its outputs. */
export function assertMayUpload(job: Job): void {
  if (job.driver === 'worker') {
    throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is driven by the built-in worker; PUT URLs are issued only for external jobs`, {
      details: { driver: job.driver },
    });
  }
}
