/**
 * One GraphQL call with Shopify's failure modes mapped to JobkitErrors. The Admin API client returns
 * errors instead of throwing, never retries THROTTLED (it arrives with HTTP 200) and reads Retry-After as
 * milliseconds, so its retries are off and throttling is handled here, from the cost report.
 */
import { JobkitError, type Logger } from 'jobkit';
import { type CostBucket, parseThrottleStatus, throttleWaitMs, type QueryCost } from './cost-bucket.js';
import { abortableDelay, cancelled } from './cancelled.js';

/** What this package needs from `@shopify/admin-api-client` (an `AdminApiClient` fits). */
export interface ShopifyGraphQLClient {
  request(operation: string, options?: { variables?: Record<string, unknown>; signal?: AbortSignal; retries?: number }): Promise<ShopifyClientResponse>;
}

/** The subset of the client's `ClientResponse` read here. */
export interface ShopifyClientResponse {
  data?: unknown;
  extensions?: { cost?: QueryCost; [key: string]: unknown };
  errors?: {
    networkStatusCode?: number;
    message?: string;
    graphQLErrors?: Array<{ message: string; extensions?: { code?: string; [key: string]: unknown } }>;
    response?: Response;
  };
}

export interface TransportOptions {
  client: ShopifyGraphQLClient;
  bucket: CostBucket;
  /** Longest throttle wait done in-process; longer ones throw RATE_LIMITED for the worker to schedule. */
  maxThrottleWaitMs: number;
  /** How many THROTTLED/429 answers one call may wait out in-process. */
  maxThrottleRetries: number;
}

export interface CallContext {
  signal: AbortSignal;
  logger: Logger;
}

/** Default wait when a 429 carries neither a cost report nor Retry-After. */
const FALLBACK_RATE_LIMIT_MS = 1_000;

export type AdminTransport = <T>(operation: string, query: string, variables: Record<string, unknown>, ctx: CallContext) => Promise<T>;

export function createAdminTransport(opts: TransportOptions): AdminTransport {
  const { client, bucket } = opts;

  return async function call<T>(operation: string, query: string, variables: Record<string, unknown>, ctx: CallContext) {
    for (let throttled = 0; ; throttled++) {
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      // Pace from the last cost report so we rarely get THROTTLED at all.
      const paceMs = bucket.waitBefore(operation);
      if (paceMs > 0 && paceMs <= opts.maxThrottleWaitMs) {
        ctx.logger.debug({ operation, waitMs: paceMs }, 'shopify: pacing to the cost bucket');
        await abortableDelay(paceMs, ctx.signal);
      }

      const res = await client.request(query, { variables, signal: ctx.signal, retries: 0 });
      bucket.observe(operation, res.extensions?.cost);
      try {
        return await interpret<T>(operation, res, ctx.signal, bucket);
      } catch (err) {
        if (JobkitError.is(err, 'RATE_LIMITED') && throttled < opts.maxThrottleRetries && (err.retryAfterMs ?? 0) <= opts.maxThrottleWaitMs) {
          ctx.logger.warn({ operation, retryAfterMs: err.retryAfterMs, ...err.details }, 'shopify: throttled, waiting');
          await abortableDelay(err.retryAfterMs ?? 0, ctx.signal);
          continue;
        }
        throw err;
      }
    }
  };
}

async function interpret<T>(operation: string, res: ShopifyClientResponse, signal: AbortSignal, bucket: CostBucket): Promise<T> {
  const errors = res.errors;
  if (!errors) {
    if (res.data === undefined || res.data === null) {
      throw new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: response without data`, { details: { operation } });
    }
    return res.data as T;
  }

  const status = errors.networkStatusCode;
  const gqlErrors = errors.graphQLErrors ?? [];

  if (status !== undefined && status !== 200) throw await httpError(operation, status, errors.response, bucket);

  if (gqlErrors.length > 0) {
    const summary = gqlErrors.map((e) => ({ message: e.message, code: e.extensions?.code }));
    if (gqlErrors.some((e) => e.extensions?.code === 'THROTTLED')) {
      const cost = res.extensions?.cost;
      const throttle = parseThrottleStatus(cost);
      const requested = cost?.requestedQueryCost ?? bucket.lastRequestedCost(operation);
      const retryAfterMs = throttle && requested !== undefined ? Math.max(1, throttleWaitMs(requested, throttle)) : FALLBACK_RATE_LIMIT_MS;
      throw new JobkitError('RATE_LIMITED', `Shopify ${operation}: throttled (cost ${requested ?? '?'})`, {
        retryAfterMs,
        details: { operation, requestedQueryCost: requested, ...throttle },
      });
    }
    // Shopify-side failures are worth retrying; anything else (access denied, bad query, cost too high) is not.
    const retryable = gqlErrors.every((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
    throw new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: ${summary.map((e) => e.message).join('; ')}`, {
      retryable,
      details: { operation, graphQLErrors: summary },
    });
  }

  // No HTTP status: fetch itself failed (network, DNS, abort).
  if (status === undefined) {
    if (signal.aborted) throw cancelled(signal);
    throw new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: ${errors.message ?? 'network error'}`, {
      retryable: true,
      details: { operation },
    });
  }
  // HTTP 200 without data or errors, or an unexpected content type: a broken answer, try again later.
  throw new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: ${errors.message ?? 'unexpected response'}`, {
    retryable: true,
    details: { operation, httpStatus: status },
  });
}

async function httpError(operation: string, status: number, response: Response | undefined, bucket: CostBucket): Promise<JobkitError> {
  const details = { operation, httpStatus: status };
  if (status === 429) {
    return new JobkitError('RATE_LIMITED', `Shopify ${operation}: HTTP 429`, {
      retryAfterMs: await rateLimitWait(operation, response, bucket),
      details,
    });
  }
  if (status >= 500) {
    return new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: HTTP ${status}`, { retryable: true, details });
  }
  const hint =
    status === 401
      ? ' (invalid access token)'
      : status === 403
        ? ' (the access token lacks a required scope: write_products)'
        : status === 404
          ? ' (unknown store domain or API version)'
          : '';
  return new JobkitError('STOREFRONT_FAILED', `Shopify ${operation}: HTTP ${status}${hint}`, { retryable: false, details });
}

/** For a 429: the cost report in the body if any, else Retry-After (seconds, per HTTP), else a default. */
async function rateLimitWait(operation: string, response: Response | undefined, bucket: CostBucket): Promise<number> {
  if (response) {
    try {
      const body = (await response.json()) as { extensions?: { cost?: QueryCost } };
      const cost = body.extensions?.cost;
      const throttle = parseThrottleStatus(cost);
      const requested = cost?.requestedQueryCost ?? bucket.lastRequestedCost(operation);
      if (throttle && requested !== undefined) {
        bucket.observe(operation, cost);
        return Math.max(1, throttleWaitMs(requested, throttle));
      }
    } catch {
      // Not JSON (or already read): fall through to the header.
    }
    const header = response.headers.get('retry-after');
    if (header !== null) {
      const seconds = Number(header);
      if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
      const date = Date.parse(header);
      if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
    }
  }
  return FALLBACK_RATE_LIMIT_MS;
}
