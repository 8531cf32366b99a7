/** The 9 job statuses, in pipeline order, with human descriptions and time estimates. */
export const JOB_STATUSES = ['NEW', 'QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'REVIEW', 'SHOPIFY_PUSH', 'DONE', 'FAILED'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses in which the worker runs a step (and therefore may hold a lease). REVIEW waits for a person. */
export const STEP_STATUSES = ['QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH'] as const satisfies readonly JobStatus[];
export type StepStatus = (typeof STEP_STATUSES)[number];

export const TERMINAL_STATUSES = ['DONE', 'FAILED'] as const satisfies readonly JobStatus[];

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return status === 'DONE' || status === 'FAILED';
}

export function isStepStatus(status: JobStatus): status is StepStatus {
  return (STEP_STATUSES as readonly string[]).includes(status);
}

export const STATUS_DESCRIPTIONS: Readonly<Record<JobStatus, string>> = {
  NEW: 'Created, waiting to be started',
  QUEUED: 'Queued: fetching the original photo',
  SEGMENTING: 'Removing the background',
  BG_GENERATING: 'Generating theme backgrounds',
  COMPOSITING: 'Compositing the product onto the backgrounds',
  REVIEW: 'Waiting for an operator to approve or reject the cutout',
  SHOPIFY_PUSH: 'Pushing the images to the storefront',
  DONE: 'Done: images are on the storefront',
  FAILED: 'Failed: see the error code; retry to resume',
};

export function describeStatus(status: JobStatus): string {
  return STATUS_DESCRIPTIONS[status];
}

/**
 * Typical duration of each step in ms (hosted providers; local sharp steps are faster). REVIEW is 0: the
 * time a person takes is not estimated, and most jobs never wait there.
 */
export const STATUS_ESTIMATES_MS: Readonly<Record<JobStatus, number>> = {
  NEW: 0,
  QUEUED: 2_000,
  SEGMENTING: 10_000,
  BG_GENERATING: 15_000,
  COMPOSITING: 5_000,
  REVIEW: 0,
  SHOPIFY_PUSH: 8_000,
  DONE: 0,
  FAILED: 0,
};

/** Estimated time until DONE from the start of `status` (0 for terminal statuses). */
export function estimateRemainingMs(status: JobStatus): number {
  if (isTerminal(status)) return 0;
  const from = JOB_STATUSES.indexOf(status);
  let total = 0;
  for (let i = from; i < JOB_STATUSES.indexOf('DONE'); i++) total += STATUS_ESTIMATES_MS[JOB_STATUSES[i]!];
  return total;
}
