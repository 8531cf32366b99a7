import { JobkitError } from 'jobkit';

export function segmentFailed(message: string, details?: Record<string, unknown>): JobkitError {
  return new JobkitError('SEGMENT_FAILED', message, { retryable: false, ...(details ? { details } : {}) });
}
