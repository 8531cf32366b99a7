/** Time source. Inject a fake one (jobkit/testing `createFakeClock`) to test backoff without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
