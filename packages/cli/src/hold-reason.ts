/** Why a job waits in REVIEW, in the service's own words: the message of the event that moved it there. */
import type { JobEvent } from 'jobkit';

export interface Hold {
  /** The hold's reasons (low score and the gate's reasons, an unscored cut, or the policy), or null. */
  reason: string | null;
  /** When the job entered REVIEW, or null when no event says so. */
  at: string | null;
}

export function holdOf(events: readonly JobEvent[]): Hold {
  const hold = events.findLast((e) => e.to === 'REVIEW');
  if (!hold) return { reason: null, at: null };
  return { reason: hold.message ? hold.message.replace(/^held for review: /, '') : null, at: hold.at };
}
