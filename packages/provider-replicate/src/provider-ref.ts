/**
 * What this package stores in job.providerRef: the prediction id, plus a `#spent` mark once that
 * prediction can no longer give a result and its failure has been reported to the worker. A resumed step
 * waits on a plain id (never paying twice) and creates a new prediction only for a spent one — so a
 * failed prediction is reported exactly once, and the retry that follows is a genuine new run.
 */
export interface ParsedRef {
  predictionId: string;
  spent: boolean;
}

const REF_PATTERN = /^([A-Za-z0-9_-]{1,128})(#spent)?$/;

export function parseProviderRef(ref: string | null | undefined): ParsedRef | null {
  if (!ref) return null;
  const m = REF_PATTERN.exec(ref);
  if (!m) return null;
  return { predictionId: m[1]!, spent: m[2] !== undefined };
}

export function activeRef(predictionId: string): string {
  return predictionId;
}

export function spentRef(predictionId: string): string {
  return `${predictionId}#spent`;
}
