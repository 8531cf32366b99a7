/**
 * A fake Replicate API on 127.0.0.1 following the documented HTTP contract, driven by the real
 * `replicate` client in tests:
 * - POST /v1/predictions ({ version, input, webhook, webhook_events_filter }) and
 *   POST /v1/models/{owner}/{name}/predictions (official models) → 201 with the prediction;
 *   `Prefer: wait[=n]` holds the response until the prediction finishes or n seconds pass.
 * - GET /v1/predictions/{id}: starting → processing → succeeded | failed | canceled;
 *   POST /v1/predictions/{id}/cancel; POST /v1/files (multipart upload).
 * - Inputs given as URLs are fetched like Replicate does; data URIs decoded; outputs are served by
 *   the fake (GET /outputs/…) and can be expired (404, data_removed).
 * - Bearer auth; injectable failures (429 with Retry-After and the throttle body, 5xx, dropped
 *   connections); Standard Webhooks signed callbacks (signed here independently of the core).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeRoute = 'create' | 'get' | 'cancel' | 'files' | 'output';

export interface FakeFailure {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the socket instead of answering (a network error). */
  drop?: boolean;
  /** How many requests fail (default 1). */
  times?: number;
}

export interface FakeOutput {
  bytes: Buffer;
  contentType: string;
}

export type FakeRunResult = { outputs: FakeOutput[]; single?: boolean; predictTimeSec?: number } | { error: string; predictTimeSec?: number };

export interface FakeModelSpec {
  owner: string;
  name: string;
  /** Version id; versioned models are created through POST /v1/predictions. */
  version?: string;
  /** Official models can be created by name (POST /v1/models/{owner}/{name}/predictions). */
  official?: boolean;
  /** ms from create to start, and from create to completion (default 20 / 80). Infinity = wait for complete(). */
  startMs?: number;
  durationMs?: number;
  /** 422 message for a bad input, or null. */
  validate?: (input: Record<string, unknown>) => string | null;
  run: (input: Record<string, unknown>, resolved: { image?: Buffer }) => FakeRunResult | Promise<FakeRunResult>;
}

export interface FakePrediction {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  output: unknown;
  error: string | null;
  logs: string;
  /** predict_time: seconds the prediction was active (billed); image_count: images returned (official image models). */
  metrics: { predict_time?: number; total_time?: number; image_count?: number };
  webhook?: string;
  webhook_events_filter?: string[];
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  data_removed: boolean;
  source: 'api';
  urls: { get: string; cancel: string; web: string };
  /** Test-only bookkeeping (not serialised). */
  inputKind?: 'url' | 'data-uri' | 'file' | 'none';
  inputBytes?: number;
}

export interface WebhookDelivery {
  url: string;
  status: number | null;
  predictionId: string;
}

const PUBLIC_FIELDS: Array<keyof FakePrediction> = [
  'id',
  'model',
  'version',
  'input',
  'status',
  'output',
  'error',
  'logs',
  'metrics',
  'webhook',
  'webhook_events_filter',
  'created_at',
  'started_at',
  'completed_at',
  'data_removed',
  'source',
  'urls',
];

function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(26), (b) => alphabet[b % 32]).join('');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(text);
}

export class FakeReplicate {
  readonly token = `r8_${randomBytes(12).toString('hex')}`;
  readonly webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  readonly predictions = new Map<string, FakePrediction>();
  readonly requests: Array<{ method: string; path: string; prefer?: string }> = [];
  readonly webhooks: WebhookDelivery[] = [];
  /** Called after a prediction is created, before the create response is written. */
  onCreate: ((p: FakePrediction) => void | Promise<void>) | null = null;
  private readonly models: FakeModelSpec[] = [];
  private readonly failures = new Map<FakeRoute, FakeFailure[]>();
  private readonly files = new Map<string, { bytes: Buffer; contentType: string }>();
  private readonly outputs = new Map<string, FakeOutput>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | null = null;
  private origin = '';

  get url(): string {
    return this.origin;
  }
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }
  get creates(): number {
    return this.requests.filter((r) => r.method === 'POST' && /^\/v1\/(predictions|models\/[^/]+\/[^/]+\/predictions)$/.test(r.path)).length;
  }
  count(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  addModel(spec: FakeModelSpec): this {
    this.models.push(spec);
    return this;
  }

  /** The next `times` requests to `route` fail as described. */
  fail(route: FakeRoute, failure: FakeFailure): this {
    const list = this.failures.get(route) ?? [];
    list.push({ times: 1, ...failure });
    this.failures.set(route, list);
    return this;
  }

  /** The throttle response Replicate documents ("Your rate limit resets in ~30s."). */
  static throttled(retryAfterSec: number | null, resetsInSec = retryAfterSec ?? 5): FakeFailure {
    return {
      status: 429,
      headers: retryAfterSec === null ? {} : { 'retry-after': String(retryAfterSec) },
      body: { title: 'Request was throttled', detail: `Request was throttled. Your rate limit resets in ~${resetsInSec}s.`, status: 429 },
    };
  }

  /**
   * The other throttle body Replicate documents (its API framework's wording), without Retry-After:
   * `{"detail":"Request was throttled. Expected available in 1 second."}`.
   */
  static throttledExpectedIn(seconds: number | string): FakeFailure {
    const unit = Number(seconds) === 1 ? 'second' : 'seconds';
    return { status: 429, body: { detail: `Request was throttled. Expected available in ${seconds} ${unit}.` } };
  }

  /** The low-credit throttle: the reset in the text and as `retry_after` (seconds) in the body. */
  static throttledLowCredit(retryAfterSec: number): FakeFailure {
    return {
      status: 429,
      body: {
        detail: `Request was throttled. Your rate limit for creating predictions is reduced to 6 requests per minute with a burst of 1 requests while you have less than $5.0 in credit. Your rate limit resets in ~${retryAfterSec}s.`,
        status: 429,
        retry_after: retryAfterSec,
      },
    };
  }

  /** Deletes a prediction's outputs, as Replicate does about an hour after an API prediction. */
  expireOutputs(id: string): void {
    const p = this.mustGet(id);
    p.data_removed = true;
    for (const key of [...this.outputs.keys()]) if (key.startsWith(`${id}/`)) this.outputs.delete(key);
  }

  /** Moves a starting prediction to processing now (as Replicate does once a worker picks it up). */
  startNow(id: string): void {
    const p = this.mustGet(id);
    if (p.status === 'starting') {
      p.status = 'processing';
      p.started_at = new Date().toISOString();
    }
  }

  /** Finishes a prediction whose model has durationMs: Infinity. */
  async complete(id: string): Promise<void> {
    await this.finish(this.mustGet(id));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { detail: String(err) });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const list of this.waiters.values()) for (const w of list) w();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  waitForStatus(id: string, statuses: FakePrediction['status'][], timeoutMs = 5000): Promise<FakePrediction> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = (): void => {
        const p = this.predictions.get(id);
        if (p && statuses.includes(p.status)) resolve(p);
        else if (Date.now() - started > timeoutMs) reject(new Error(`prediction ${id} did not reach ${statuses.join('|')}`));
        else setTimeout(tick, 5);
      };
      tick();
    });
  }

  private mustGet(id: string): FakePrediction {
    const p = this.predictions.get(id);
    if (!p) throw new Error(`no prediction ${id}`);
    return p;
  }

  private takeFailure(route: FakeRoute): FakeFailure | null {
    const list = this.failures.get(route);
    const f = list?.[0];
    if (!f) return null;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) list!.shift();
    return f;
  }

  private later(ms: number, fn: () => void): void {
    if (!Number.isFinite(ms)) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private publicView(p: FakePrediction): Record<string, unknown> {
    return Object.fromEntries(PUBLIC_FIELDS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    const prefer = req.headers.prefer;
    this.requests.push({ method, path: url.pathname, ...(typeof prefer === 'string' ? { prefer } : {}) });
    const body = await readBody(req);

    const out = /^\/outputs\/([a-z0-9]+)\/(\d+)$/.exec(url.pathname);
    if (out && method === 'GET') {
      if (this.injected('output', res)) return;
      const file = this.outputs.get(`${out[1]}/${out[2]}`);
      if (!file) return send(res, 404, { detail: 'Not found.' });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }
    if (!url.pathname.startsWith('/v1/')) return send(res, 404, { detail: 'Not found.' });
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(res, 401, { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 });
    }

    const byModel = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(url.pathname);
    if (method === 'POST' && (url.pathname === '/v1/predictions' || byModel)) {
      if (this.injected('create', res)) return;
      return this.create(req, res, body, byModel ? { owner: byModel[1]!, name: byModel[2]! } : null);
    }
    const pred = /^\/v1\/predictions\/([a-z0-9]+)(\/cancel)?$/.exec(url.pathname);
    if (pred && method === 'GET' && !pred[2]) {
      if (this.injected('get', res)) return;
      const p = this.predictions.get(pred[1]!);
      return p ? send(res, 200, this.publicView(p)) : send(res, 404, { detail: 'Not found.', status: 404 });
    }
    if (pred && method === 'POST' && pred[2]) {
      if (this.injected('cancel', res)) return;
      const p = this.predictions.get(pred[1]!);
      if (!p) return send(res, 404, { detail: 'Not found.', status: 404 });
      if (p.status === 'starting' || p.status === 'processing') {
        p.status = 'canceled';
        p.completed_at = new Date().toISOString();
        // A prediction that started is billed for the time it was active, canceled or not.
        if (p.started_at) p.metrics = { predict_time: (Date.parse(p.completed_at) - Date.parse(p.started_at)) / 1000 };
        this.notify(p);
      }
      return send(res, 200, this.publicView(p));
    }
    if (url.pathname === '/v1/files' && method === 'POST') {
      if (this.injected('files', res)) return;
      const form = await new Request(`${this.origin}/v1/files`, {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type']) },
        body: new Uint8Array(body),
      }).formData();
      const content = form.get('content');
      if (!(content instanceof Blob)) return send(res, 400, { detail: 'content is required' });
      const id = newId();
      this.files.set(id, { bytes: Buffer.from(await content.arrayBuffer()), contentType: content.type || 'application/octet-stream' });
      return send(res, 201, { id, name: 'upload', content_type: content.type, size: content.size, urls: { get: `${this.origin}/v1/files/${id}` } });
    }
    return send(res, 404, { detail: 'Not found.' });
  }

  private injected(route: FakeRoute, res: ServerResponse): boolean {
    const f = this.takeFailure(route);
    if (!f) return false;
    if (f.drop) {
      res.socket?.destroy();
      return true;
    }
    send(res, f.status, f.body ?? { detail: `injected ${f.status}` }, f.headers);
    return true;
  }

  private async create(req: IncomingMessage, res: ServerResponse, raw: Buffer, byModel: { owner: string; name: string } | null): Promise<void> {
    let data: { version?: unknown; input?: unknown; webhook?: unknown; webhook_events_filter?: unknown };
    try {
      data = JSON.parse(raw.toString('utf8')) as typeof data;
    } catch {
      return send(res, 400, { detail: 'Invalid JSON' });
    }
    const model = byModel
      ? this.models.find((m) => m.owner === byModel.owner && m.name === byModel.name && m.official)
      : this.models.find((m) => m.version !== undefined && m.version === data.version);
    if (!model)
      return send(res, byModel ? 404 : 422, { detail: byModel ? 'Model not found' : 'Invalid version or not permitted', status: byModel ? 404 : 422 });
    if (typeof data.input !== 'object' || data.input === null) return send(res, 422, { detail: '- input: Input is required', status: 422 });
    const input = data.input as Record<string, unknown>;
    const invalid = model.validate?.(input) ?? null;
    if (invalid) return send(res, 422, { detail: invalid, status: 422 });
    if (data.webhook !== undefined && (typeof data.webhook !== 'string' || !/^https?:\/\//.test(data.webhook))) {
      return send(res, 422, { detail: '- webhook: must be a valid URL', status: 422 });
    }
    const id = newId();
    const p: FakePrediction = {
      id,
      model: `${model.owner}/${model.name}`,
      version: model.version ?? 'hidden',
      input,
      status: 'starting',
      output: null,
      error: null,
      logs: '',
      metrics: {},
      ...(typeof data.webhook === 'string' ? { webhook: data.webhook } : {}),
      ...(Array.isArray(data.webhook_events_filter) ? { webhook_events_filter: data.webhook_events_filter as string[] } : {}),
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      data_removed: false,
      source: 'api',
      urls: { get: `${this.baseUrl}/predictions/${id}`, cancel: `${this.baseUrl}/predictions/${id}/cancel`, web: `https://replicate.com/p/${id}` },
    };
    this.predictions.set(id, p);
    const startMs = model.startMs ?? 20;
    const durationMs = model.durationMs ?? 80;
    this.later(startMs, () => {
      if (p.status === 'starting') {
        p.status = 'processing';
        p.started_at = new Date().toISOString();
      }
    });
    this.later(durationMs, () => void this.finish(p));
    if (this.onCreate) await this.onCreate(p);

    const prefer = req.headers.prefer;
    const m = typeof prefer === 'string' ? /^wait(?:=(\d+))?$/.exec(prefer.trim()) : null;
    if (m) {
      const waitMs = Math.min(60, Number(m[1] ?? 60)) * 1000;
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(id) ?? [];
        list.push(resolve);
        this.waiters.set(id, list);
        this.later(waitMs, resolve);
      });
    }
    send(res, 201, this.publicView(p));
  }

  private async resolveImage(value: unknown, p: FakePrediction): Promise<Buffer | undefined> {
    if (typeof value !== 'string') {
      p.inputKind = 'none';
      return undefined;
    }
    if (value.startsWith('data:')) {
      p.inputKind = 'data-uri';
      return Buffer.from(value.slice(value.indexOf(',') + 1), 'base64');
    }
    const file = /\/v1\/files\/([a-z0-9]+)$/.exec(value);
    if (file && value.startsWith(this.origin)) {
      p.inputKind = 'file';
      return this.files.get(file[1]!)?.bytes;
    }
    p.inputKind = 'url';
    const res = await fetch(value);
    if (!res.ok) throw new Error(`could not fetch input image: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  private async finish(p: FakePrediction): Promise<void> {
    if (p.status !== 'starting' && p.status !== 'processing') return;
    const model = this.models.find((m) => `${m.owner}/${m.name}` === p.model)!;
    let result: FakeRunResult;
    try {
      const image = await this.resolveImage(p.input.image, p);
      if (image) p.inputBytes = image.length;
      result = await model.run(p.input, image ? { image } : {});
    } catch (err) {
      result = { error: `Error: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (p.status !== 'starting' && p.status !== 'processing') return; // canceled meanwhile
    p.started_at ??= new Date().toISOString();
    p.completed_at = new Date().toISOString();
    p.metrics = { predict_time: result.predictTimeSec ?? 1.5, total_time: (Date.parse(p.completed_at) - Date.parse(p.created_at)) / 1000 };
    if ('error' in result) {
      p.status = 'failed';
      p.error = result.error;
    } else {
      const urls = result.outputs.map((o, n) => {
        this.outputs.set(`${p.id}/${n}`, o);
        return `${this.origin}/outputs/${p.id}/${n}`;
      });
      p.output = result.single ? urls[0] : urls;
      // Official image models report how many images they returned (what per-image pricing bills).
      if (model.official) p.metrics.image_count = urls.length;
      p.status = 'succeeded';
    }
    this.notify(p);
  }

  private notify(p: FakePrediction): void {
    for (const w of this.waiters.get(p.id) ?? []) w();
    this.waiters.delete(p.id);
    const filter = p.webhook_events_filter ?? ['start', 'output', 'logs', 'completed'];
    if (p.webhook && filter.includes('completed')) void this.deliver(p.webhook, p);
  }

  /** Sends a Standard Webhooks signed callback; Replicate retries failed deliveries, the tests call this again by hand. */
  async deliver(url: string, p: FakePrediction, opts: { secret?: string; timestampSec?: number; id?: string } = {}): Promise<number | null> {
    const body = JSON.stringify(this.publicView(p));
    const msgId = opts.id ?? `msg_${newId()}`;
    const ts = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
    const key = Buffer.from((opts.secret ?? this.webhookSecret).replace(/^whsec_/, ''), 'base64');
    const signature = createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest('base64');
    let status: number | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': ts, 'webhook-signature': `v1,${signature}` },
        body,
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = null;
    }
    this.webhooks.push({ url, status, predictionId: p.id });
    return status;
  }
}

export async function startFakeReplicate(): Promise<FakeReplicate> {
  return new FakeReplicate().start();
}
