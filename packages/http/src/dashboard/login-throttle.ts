/**
 * Failed dashboard sign-ins per client address, in fixed one-minute windows. It throttles WRONG tokens only:
 * the token is always checked first, and a right one signs in whatever the count — so a flood of bad
 * guesses (or every client sharing one address behind a proxy) can never lock an operator out. Over the
 * limit, a wrong token is answered 429 with Retry-After instead of 401.
 */
export interface LoginThrottle {
  /** Records a failure; returns ms until the address's window resets when it is over the limit, else 0. */
  fail(address: string, now: number): number;
  /** A successful sign-in clears the address's failures. */
  succeed(address: string): void;
}

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export function createLoginThrottle(maxPerMinute: number): LoginThrottle {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    fail(address, now) {
      if (windows.size >= MAX_TRACKED) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      let w = windows.get(address);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + WINDOW_MS };
        windows.set(address, w);
      }
      w.count++;
      return w.count > maxPerMinute ? w.resetAt - now : 0;
    },
    succeed(address) {
      windows.delete(address);
    },
  };
}
