/**
 * Shopify's cost-based rate limit (a leaky bucket per app and store). Each response reports the bucket in
 * `extensions.cost.throttleStatus`; we keep the latest one to pace the next request and to compute how long
 * a THROTTLED request must wait.
 */

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: Partial<ThrottleStatus>;
}

export function parseThrottleStatus(cost: QueryCost | undefined): ThrottleStatus | undefined {
  const t = cost?.throttleStatus;
  if (!t) return undefined;
  const { maximumAvailable, currentlyAvailable, restoreRate } = t;
  if (![maximumAvailable, currentlyAvailable, restoreRate].every((n) => typeof n === 'number' && Number.isFinite(n))) {
    return undefined;
  }
  return { maximumAvailable: maximumAvailable!, currentlyAvailable: currentlyAvailable!, restoreRate: restoreRate! };
}

/** Milliseconds until the bucket holds `requestedQueryCost`: (requested − available) / restoreRate seconds. */
export function throttleWaitMs(requestedQueryCost: number, status: ThrottleStatus): number {
  if (!(status.restoreRate > 0)) return 0;
  const missing = requestedQueryCost - status.currentlyAvailable;
  return missing <= 0 ? 0 : Math.ceil((missing / status.restoreRate) * 1000);
}

/** Tracks the bucket between requests (shared by every push through one storefront instance). */
export class CostBucket {
  private status: ThrottleStatus | undefined;
  private observedAt = 0;
  private readonly costs = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records a response's cost report. */
  observe(operation: string, cost: QueryCost | undefined): void {
    const status = parseThrottleStatus(cost);
    if (status) {
      this.status = status;
      this.observedAt = this.now();
    }
    if (typeof cost?.requestedQueryCost === 'number') this.costs.set(operation, cost.requestedQueryCost);
  }

  /** The bucket as it should be now, refilled at the restore rate since the last report. */
  current(): ThrottleStatus | undefined {
    if (!this.status) return undefined;
    const elapsedSec = Math.max(0, this.now() - this.observedAt) / 1000;
    const available = Math.min(this.status.maximumAvailable, this.status.currentlyAvailable + elapsedSec * this.status.restoreRate);
    return { ...this.status, currentlyAvailable: available };
  }

  /** How long to wait before sending `operation` so it is not throttled (0 when unknown or enough points). */
  waitBefore(operation: string): number {
    const cost = this.costs.get(operation);
    const status = this.current();
    if (cost === undefined || !status) return 0;
    return throttleWaitMs(cost, status);
  }

  lastRequestedCost(operation: string): number | undefined {
    return this.costs.get(operation);
  }
}
