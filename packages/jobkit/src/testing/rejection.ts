import { JobkitError } from 'jobkit';

/** The JobkitError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejectionOf(p: Promise<unknown>): Promise<JobkitError> {
  try {
    await p;
  } catch (e) {
    if (JobkitError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection with a JobkitError, but the promise resolved');
}

/** 'resolved', the JobkitError code a promise rejects with, or a description of a foreign error. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return JobkitError.is(e) ? e.code : `non-jobkit: ${String(e)}`;
  }
}
