import { createHash, randomBytes } from 'node:crypto';
import { nanoid } from 'nanoid';
import { newJobRecord, type Job, type NewJobEvent } from 'jobkit';

/** A valid NEW job with overridable fields (for store tests). */
export function makeJob(overrides: Partial<Job> = {}, now: Date = new Date()): Job {
  return newJobRecord(
    { id: nanoid(), sku: 'SKU-1', sha256: randomSha256(), theme: 'default', imageUrl: 'https://images.example.com/photo.jpg', ...overrides },
    now.toISOString(),
  );
}

export function randomSha256(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

/** The creation event for `job`. */
export function creationEvent(job: Job): NewJobEvent {
  return { jobId: job.id, at: job.createdAt, from: null, to: job.status, attempt: 0, errorCode: null, message: 'created', costUsd: 0 };
}

/** A plain event for `job` moving to `to`. */
export function eventFor(job: Job, to = job.status, extra: Partial<NewJobEvent> = {}): NewJobEvent {
  return { jobId: job.id, at: job.updatedAt, from: job.status, to, attempt: job.attempts, errorCode: null, message: null, costUsd: 0, ...extra };
}
