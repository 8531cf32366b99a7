/**
 * The `fetch` handed to the replicate client. The client retries 429s (and 5xx on GET) up to five times
 * almost immediately — it computes a Retry-After delay and then ignores it — and swallows network errors
 * into the same loop, which can replay a POST /predictions whose response was lost (a second paid run).
 * This wrapper makes every such outcome look final to the client: a 429, a 5xx or a thrown network error
 * comes back as a non-retryable 4xx `UpstreamFailure` carrying the real outcome, so the client throws its
 * ApiError at once and `toJobkitError` classifies it. Retries are then ours (worker backoff, Retry-After).
 */

export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export interface UpstreamOutcome {
  /** The real HTTP status, or null when no response arrived (network error, timeout, abort). */
  status: number | null;
  headers: Headers;
  bodyText: string;
  error?: unknown;
}

/** A synthetic 400 response standing in for a 429/5xx/network failure (see the module comment). */
export class UpstreamFailure extends Response {
  readonly upstream: UpstreamOutcome;
  constructor(upstream: UpstreamOutcome) {
    super(upstream.bodyText, { status: 400, statusText: 'Upstream failure', headers: upstream.headers });
    this.upstream = upstream;
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function createGuardedFetch(base: FetchLike): FetchLike {
  return async (input, init) => {
    let res: Response;
    try {
      res = await base(input, init);
    } catch (error) {
      return new UpstreamFailure({ status: null, headers: new Headers(), bodyText: '', error });
    }
    if (!isRetryableStatus(res.status)) return res;
    let bodyText = '';
    try {
      bodyText = await res.text();
    } catch {
      // The status is what matters; an unreadable body only loses the detail text.
    }
    return new UpstreamFailure({ status: res.status, headers: res.headers, bodyText });
  };
}
