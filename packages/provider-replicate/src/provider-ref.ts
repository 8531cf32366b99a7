/**
 * What this package stores in job.providerRef: the predictions of the step, oldest first, joined by `+`.
 *
 * - `<id>`: the prediction a retry resumes (waits for it, never pays twice).
 * - `<id>#spent`: it can no longer give a result; its failure and cost are recorded. A retry creates anew.
 * - `<id>#kept`: it succeeded with fewer outputs than asked (a safety checker dropped some). Its outputs are
 *   kept (downloaded again on resume; Replicate keeps them about an hour) and its cost is recorded; the
 *   prediction after it asks only for the missing ones. Only the last entry is ever active or spent.
 *
 * `<id>` and `<id>#spent` alone are what earlier versions wrote, so a job in flight across an upgrade resumes.
 */
export interface ParsedRef {
  /** Predictions whose outputs the step keeps, oldest first (their cost is already recorded). */
  kept: string[];
  /** The last prediction unless it was kept: the one to resume, or a spent one. */
  current: { predictionId: string; spent: boolean } | null;
}

const ID = '[A-Za-z0-9_-]{1,128}';
const REF_PATTERN = new RegExp(`^(?:${ID}#kept\\+)*${ID}(?:#spent|#kept)?$`);

export function parseProviderRef(ref: string | null | undefined): ParsedRef | null {
  if (!ref || ref.length > 512 || !REF_PATTERN.test(ref)) return null;
  const entries = ref.split('+');
  const last = entries.pop()!;
  const kept = entries.map((e) => e.slice(0, -'#kept'.length));
  if (last.endsWith('#kept')) return { kept: [...kept, last.slice(0, -'#kept'.length)], current: null };
  const spent = last.endsWith('#spent');
  return { kept, current: { predictionId: spent ? last.slice(0, -'#spent'.length) : last, spent } };
}

export function formatProviderRef(kept: readonly string[], current?: { predictionId: string; spent?: boolean }): string {
  const entries = kept.map((id) => `${id}#kept`);
  if (current) entries.push(current.spent ? `${current.predictionId}#spent` : current.predictionId);
  return entries.join('+');
}
