/**
 * LISTEN on one dedicated connection (outside the pool, so it never starves queries), reconnecting with
 * backoff when the server goes away. Notifications only wake workers early: polling stays the source of
 * truth, and after a reconnect subscribers get one `{ jobId: null }` wake-up for anything missed meanwhile.
 */
import pg from 'pg';
import type { Logger } from 'jobkit';
import { quoteIdent } from './schema-name.js';

export interface JobAvailable {
  /** The job that became claimable; null after a reconnect (something may have been missed: poll now). */
  jobId: string | null;
  /** Its nextRunAt when in the future-or-past is known (ISO-8601), null = due now. */
  runAt: string | null;
}

export type JobAvailableListener = (event: JobAvailable) => void;

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export class NotificationListener {
  private readonly subscribers = new Set<JobAvailableListener>();
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = MIN_BACKOFF_MS;
  private closed = false;
  private connectedOnce = false;
  private ready: Promise<void>;
  private markReady: () => void = () => undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    /** Validated channel name. */
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  subscribe(cb: JobAvailableListener): () => void {
    this.subscribers.add(cb);
    if (this.client === null && this.timer === null && !this.closed) void this.connect();
    return () => {
      this.subscribers.delete(cb);
    };
  }

  /** Resolves once LISTEN is active (after the first subscribe). */
  whenListening(): Promise<void> {
    return this.ready;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    const client = new pg.Client(this.config);
    this.client = client;
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost || this.client !== client) return;
      lost = true;
      this.client = null;
      this.ready = new Promise((resolve) => (this.markReady = resolve));
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err: err?.message, retryInMs: this.backoffMs }, 'postgres LISTEN connection lost; reconnecting');
      this.timer = setTimeout(() => void this.connect(), this.backoffMs);
      this.timer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel) return;
      const [jobId, runAt] = (msg.payload ?? '').split(' ');
      this.emit({ jobId: jobId || null, runAt: runAt ?? null });
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.closed || this.client !== client) return;
    this.backoffMs = MIN_BACKOFF_MS;
    this.markReady();
    if (this.connectedOnce) this.emit({ jobId: null, runAt: null });
    this.connectedOnce = true;
  }

  private emit(event: JobAvailable): void {
    for (const cb of this.subscribers) {
      try {
        cb(event);
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'onJobAvailable callback threw');
      }
    }
  }
}
