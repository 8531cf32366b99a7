/**
 * A fake Shopify Admin API on 127.0.0.1 for tests: the handful of GraphQL operations the storefront sends
 * (recognised by their root field, no GraphQL engine), answered in Shopify's shapes, plus the staged upload
 * endpoint. It keeps a cost-based leaky bucket and answers THROTTLED (HTTP 200) when it is empty.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeOperation = 'productBySku' | 'productMedia' | 'stagedUploadsCreate' | 'productUpdate' | 'mediaStatus' | 'fileDelete';

export interface FakeMedia {
  id: string;
  alt: string | null;
  status: 'UPLOADED' | 'PROCESSING' | 'READY' | 'FAILED';
  bytes: Buffer | null;
  source: string;
  polls: number;
  mediaErrors: Array<{ code: string; details: string | null; message: string }>;
}

export interface FakeVariant {
  id: string;
  sku: string;
}

export interface FakeProduct {
  id: string;
  title: string;
  /** The first variant's SKU. */
  sku: string;
  variants: FakeVariant[];
  media: FakeMedia[];
}

export interface ThrottleReport {
  requestedQueryCost: number;
  currentlyAvailable: number;
  maximumAvailable: number;
  restoreRate: number;
}

export interface FakeShopifyOptions {
  accessToken?: string;
  maximumAvailable?: number;
  restoreRate?: number;
  /** Access scopes of the token (default write_products and write_files). */
  scopes?: string[];
}

interface StagedFile {
  key: string;
  filename: string;
  mimeType: string;
  fileSize: number;
  httpMethod: 'POST' | 'PUT';
  parameters: Array<{ name: string; value: string }>;
  resourceUrl: string;
  bytes: Buffer | null;
}

const RESOURCE_HOST = 'https://shopify-staged-uploads.storage.googleapis.com';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

export class FakeShopify {
  readonly accessToken: string;
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  readonly scopes: Set<string>;
  readonly products = new Map<string, FakeProduct>();
  /** Every GraphQL call: operation and variables, in order (throttled ones included). */
  readonly calls: Array<{ operation: FakeOperation; variables: Record<string, unknown>; throttled: boolean; apiVersion: string }> = [];
  readonly throttled: ThrottleReport[] = [];
  readonly uploads: Array<{ key: string; method: string; fieldOrder: string[]; size: number }> = [];
  /** Ids removed by fileDelete, in order. */
  readonly deletedFiles: string[] = [];
  /** Runs after an operation is applied, before its answer is sent (to simulate a crash in between). */
  readonly hooks = new Map<FakeOperation, () => void>();

  private server: Server;
  private port = 0;
  private available: number;
  private refilledAt = performance.now();
  private nextId = 1000;
  private staged = new Map<string, StagedFile>();
  private forcedThrottles: Array<{ currentlyAvailable: number }> = [];
  private forcedHttp: Array<{ status: number; headers: Record<string, string>; body: string }> = [];

  constructor(opts: FakeShopifyOptions = {}) {
    this.accessToken = opts.accessToken ?? 'shpat_test_token';
    this.maximumAvailable = opts.maximumAvailable ?? 1000;
    this.restoreRate = opts.restoreRate ?? 50;
    this.scopes = new Set(opts.scopes ?? ['write_products', 'write_files']);
    this.available = this.maximumAvailable;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get storeDomain(): string {
    return `127.0.0.1:${this.port}`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** For the Admin API client: it always builds https URLs, the fake speaks plain http. */
  readonly customFetchApi = (url: string, init?: RequestInit): Promise<Response> => fetch(url.replace(/^https:/, 'http:'), init);

  /** A product with one variant per SKU (`sku`, then `moreSkus`); ids grow in creation order, as Shopify's do. */
  addProduct(p: { sku: string; title: string; existingMedia?: number; moreSkus?: string[] }): FakeProduct {
    const id = this.nextId++;
    const variants = [p.sku, ...(p.moreSkus ?? [])].map((sku) => ({ id: `gid://shopify/ProductVariant/${this.nextId++}`, sku }));
    const product: FakeProduct = { id: `gid://shopify/Product/${id}`, title: p.title, sku: p.sku, variants, media: [] };
    for (let i = 0; i < (p.existingMedia ?? 0); i++) {
      product.media.push(this.newMedia(`Existing photo ${i + 1}`, 'https://cdn.example/existing.jpg', null, 'READY'));
    }
    this.products.set(product.id, product);
    return product;
  }

  /**
   * The next `count` GraphQL calls are answered THROTTLED as if the bucket held `currentlyAvailable` (a burst
   * from elsewhere); the fake's own bucket is left as it is.
   */
  throttleNext(count: number, currentlyAvailable: number): void {
    for (let i = 0; i < count; i++) this.forcedThrottles.push({ currentlyAvailable });
  }

  /** The next GraphQL call answers with this HTTP status (e.g. 429, 503). */
  failNext(status: number, headers: Record<string, string> = {}, body = ''): void {
    this.forcedHttp.push({ status, headers, body });
  }

  callsOf(operation: FakeOperation): number {
    return this.calls.filter((c) => c.operation === operation && !c.throttled).length;
  }

  /** Requested cost per operation, roughly as Shopify computes it (objects 1, connections × first). */
  static requestedCost(operation: FakeOperation, variables: Record<string, unknown>): number {
    switch (operation) {
      case 'productBySku':
        // The connection costs `first` × (variant + product) plus the query itself.
        return 2 + 2 * Number(variables.first ?? 0);
      case 'productMedia':
        return 2 + Number(variables.first ?? 0);
      case 'stagedUploadsCreate':
        return 11;
      case 'productUpdate':
        return 10 + Number(variables.last ?? 0);
      case 'mediaStatus':
        return 1 + (Array.isArray(variables.ids) ? variables.ids.length : 0);
      case 'fileDelete':
        return 10;
    }
  }

  private newMedia(alt: string, source: string, bytes: Buffer | null, status: FakeMedia['status'] = 'UPLOADED'): FakeMedia {
    return { id: `gid://shopify/MediaImage/${this.nextId++}`, alt, status, bytes, source, polls: 0, mediaErrors: [] };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const graphql = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
    if (graphql && req.method === 'POST') return this.graphql(graphql[1]!, req, body, res);
    const upload = /^\/staged\/([^/]+)$/.exec(url.pathname);
    if (upload) return this.upload(upload[1]!, req, body, url, res);
    res.writeHead(404).end();
  }

  private refill(): void {
    const now = performance.now();
    this.available = Math.min(this.maximumAvailable, this.available + ((now - this.refilledAt) / 1000) * this.restoreRate);
    this.refilledAt = now;
  }

  private async graphql(apiVersion: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    if (req.headers['x-shopify-access-token'] !== this.accessToken) {
      return json(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
    const forced = this.forcedHttp.shift();
    if (forced) {
      res.writeHead(forced.status, { 'content-type': 'application/json', ...forced.headers }).end(forced.body);
      return;
    }
    const parsed = JSON.parse(raw.toString('utf8')) as { query: string; variables?: Record<string, unknown> };
    const query = parsed.query;
    const operation = detect(query);
    // Arguments written into the document rather than passed as variables (no GraphQL engine here).
    const literalFirst = /\bproductVariants\s*\(\s*first\s*:\s*(\d+)/.exec(query)?.[1];
    const variables = { ...(literalFirst !== undefined ? { first: Number(literalFirst) } : {}), ...(parsed.variables ?? {}) };
    if (!operation) return json(res, 200, { errors: [{ message: 'Unknown operation', extensions: { code: 'UNKNOWN' } }] });

    const requested = FakeShopify.requestedCost(operation, variables);
    this.refill();
    const force = this.forcedThrottles.shift();
    if (requested > this.maximumAvailable) {
      return json(res, 200, {
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${this.maximumAvailable}).`,
            extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: this.maximumAvailable },
          },
        ],
      });
    }
    const throttleStatus = (available = this.available) => ({
      maximumAvailable: this.maximumAvailable,
      currentlyAvailable: Math.floor(available),
      restoreRate: this.restoreRate,
    });
    if (force || this.available < requested) {
      const status = throttleStatus(force?.currentlyAvailable);
      this.throttled.push({ requestedQueryCost: requested, ...status });
      this.calls.push({ operation, variables, throttled: true, apiVersion });
      return json(res, 200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status } },
      });
    }
    this.calls.push({ operation, variables, throttled: false, apiVersion });
    if (operation === 'fileDelete' && !this.scopes.has('write_files')) {
      // A field the token may not use: GraphQL error with HTTP 200, data null for that field.
      this.available -= requested;
      return json(res, 200, {
        data: { fileDelete: null },
        errors: [
          {
            message: 'Access denied for fileDelete field. Required access: `write_files` access scope. Also: Users must have delete files permissions.',
            locations: [{ line: 3, column: 5 }],
            path: ['fileDelete'],
            extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: '`write_files` access scope.' },
          },
        ],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: throttleStatus() } },
      });
    }
    const data = await this.execute(operation, variables);
    this.available -= requested;
    this.hooks.get(operation)?.();
    json(res, 200, {
      data,
      extensions: { cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: throttleStatus() } },
    });
  }

  private async execute(operation: FakeOperation, v: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'productBySku': {
        const m = /^sku:"((?:[^"\\]|\\.)*)"$/.exec(String(v.query));
        const sku = m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
        // Shopify's search is tokenised and case-insensitive: "SHIRT-BLUE-M" also finds "SHIRT-BLUE-M-XL".
        // Results come sorted by id (the default sortKey), not by relevance.
        const all = [...this.products.values()]
          .flatMap((p) => p.variants.map((variant) => ({ variant, p })))
          .filter(({ variant }) => sku !== undefined && matchesTokens(variant.sku, sku))
          .sort((a, b) => gidNumber(a.variant.id) - gidNumber(b.variant.id));
        const first = Number(v.first);
        const start = typeof v.after === 'string' ? Number(Buffer.from(v.after, 'base64').toString().split(':')[1]) + 1 : 0;
        const page = all.slice(start, start + first);
        const end = start + page.length - 1;
        return {
          productVariants: {
            pageInfo: { hasNextPage: end + 1 < all.length, endCursor: page.length ? Buffer.from(`variant:${end}`).toString('base64') : null },
            nodes: page.map(({ variant, p }) => ({ id: variant.id, sku: variant.sku, product: { id: p.id, title: p.title } })),
          },
        };
      }
      case 'productMedia': {
        const product = this.products.get(String(v.id));
        if (!product) return { product: null };
        const first = Number(v.first);
        const start = typeof v.after === 'string' ? Number(Buffer.from(v.after, 'base64').toString().split(':')[1]) + 1 : 0;
        const page = product.media.slice(start, start + first);
        const end = start + page.length - 1;
        return {
          product: {
            id: product.id,
            title: product.title,
            media: {
              pageInfo: { hasNextPage: end + 1 < product.media.length, endCursor: page.length ? Buffer.from(`media:${end}`).toString('base64') : null },
              nodes: page.map(mediaNode),
            },
          },
        };
      }
      case 'stagedUploadsCreate': {
        const input = v.input as Array<Record<string, unknown>>;
        const userErrors: Array<{ field: string[]; message: string }> = [];
        input.forEach((f, i) => {
          if (f.resource !== 'IMAGE') userErrors.push({ field: ['input', String(i), 'resource'], message: 'Resource is not supported' });
          if (!IMAGE_TYPES.has(String(f.mimeType)))
            userErrors.push({ field: ['input', String(i), 'mimeType'], message: `Mime type ${String(f.mimeType)} is not supported` });
          if (!f.filename) userErrors.push({ field: ['input', String(i), 'filename'], message: "Filename can't be blank" });
          if (Number(f.fileSize) > 20_000_000) userErrors.push({ field: ['input', String(i), 'fileSize'], message: 'File size is too large' });
        });
        if (userErrors.length) return { stagedUploadsCreate: { stagedTargets: [], userErrors } };
        const stagedTargets = input.map((f) => {
          const token = `t${this.nextId++}`;
          const key = `tmp/7000/products/${token}/${String(f.filename)}`;
          const method = f.httpMethod === 'PUT' ? 'PUT' : 'POST';
          const parameters =
            method === 'POST'
              ? [
                  { name: 'Content-Type', value: String(f.mimeType) },
                  { name: 'success_action_status', value: '201' },
                  { name: 'acl', value: 'private' },
                  { name: 'key', value: key },
                  { name: 'x-goog-date', value: '20261125T000000Z' },
                  { name: 'x-goog-credential', value: 'fake@shopify.iam/20261125/auto/storage/goog4_request' },
                  { name: 'x-goog-algorithm', value: 'GOOG4-RSA-SHA256' },
                  { name: 'x-goog-signature', value: `sig-${token}` },
                  { name: 'policy', value: Buffer.from(`{"key":"${key}"}`).toString('base64') },
                ]
              : [
                  { name: 'content_type', value: String(f.mimeType) },
                  { name: 'acl', value: 'private' },
                ];
          const file: StagedFile = {
            key,
            filename: String(f.filename),
            mimeType: String(f.mimeType),
            fileSize: Number(f.fileSize),
            httpMethod: method,
            parameters,
            resourceUrl: `${RESOURCE_HOST}/${key}`,
            bytes: null,
          };
          this.staged.set(token, file);
          const url = method === 'POST' ? `${this.origin}/staged/${token}` : `${this.origin}/staged/${token}?X-Goog-Signature=sig-${token}`;
          return { url, resourceUrl: file.resourceUrl, parameters };
        });
        return { stagedUploadsCreate: { stagedTargets, userErrors: [] } };
      }
      case 'productUpdate': {
        const product = this.products.get(String((v.product as { id?: unknown } | undefined)?.id));
        if (!product) return { productUpdate: { product: null, userErrors: [{ field: ['id'], message: 'Product does not exist' }] } };
        const media = (v.media as Array<Record<string, unknown>> | undefined) ?? [];
        const userErrors: Array<{ field: string[]; message: string }> = [];
        const created: FakeMedia[] = [];
        for (const [i, m] of media.entries()) {
          const source = String(m.originalSource);
          const alt = typeof m.alt === 'string' ? m.alt : null;
          if (m.mediaContentType !== 'IMAGE') userErrors.push({ field: ['media', String(i), 'mediaContentType'], message: 'Media content type is invalid' });
          if (alt !== null && alt.length > 512) userErrors.push({ field: ['media', String(i), 'alt'], message: 'Alt is too long (maximum is 512 characters)' });
          let bytes: Buffer | null = null;
          if (source.startsWith(`${RESOURCE_HOST}/`)) {
            const staged = [...this.staged.values()].find((s) => s.resourceUrl === source);
            if (!staged?.bytes) userErrors.push({ field: ['media', String(i), 'originalSource'], message: 'Image URL is invalid' });
            else bytes = staged.bytes;
          } else if (/^https?:\/\//.test(source)) {
            bytes = await fetch(source)
              .then(async (r) => (r.ok ? Buffer.from(await r.arrayBuffer()) : null))
              .catch(() => null);
          } else {
            userErrors.push({ field: ['media', String(i), 'originalSource'], message: 'Image URL is invalid' });
          }
          created.push(this.newMedia(alt ?? '', source, bytes));
        }
        // Shopify validates the whole input before changing anything.
        if (userErrors.length) return { productUpdate: { product: null, userErrors } };
        product.media.push(...created);
        const last = Number(v.last);
        return { productUpdate: { product: { id: product.id, media: { nodes: product.media.slice(-last).map(mediaNode) } }, userErrors: [] } };
      }
      case 'fileDelete': {
        // Deletes the files and every product reference to them, all or nothing.
        const ids = v.ids as string[];
        const owners = new Map([...this.products.values()].flatMap((p) => p.media.map((m) => [m.id, p] as const)));
        const missing = ids.filter((id) => !owners.has(id));
        if (missing.length > 0) {
          return { fileDelete: { deletedFileIds: null, userErrors: missing.map((id) => ({ field: ['fileIds'], message: `File id ${id} does not exist.` })) } };
        }
        for (const id of ids) {
          const media = owners.get(id)!.media;
          media.splice(
            media.findIndex((m) => m.id === id),
            1,
          );
        }
        this.deletedFiles.push(...ids);
        return { fileDelete: { deletedFileIds: ids, userErrors: [] } };
      }
      case 'mediaStatus': {
        const ids = v.ids as string[];
        const all = new Map([...this.products.values()].flatMap((p) => p.media.map((m) => [m.id, m] as const)));
        return {
          nodes: ids.map((id) => {
            const m = all.get(id);
            if (!m) return null;
            advance(m);
            return { id: m.id, status: m.status, alt: m.alt, mediaErrors: m.mediaErrors };
          }),
        };
      }
    }
  }

  private upload(token: string, req: IncomingMessage, body: Buffer, url: URL, res: ServerResponse): Promise<void> | void {
    const file = this.staged.get(token);
    if (!file) return void res.writeHead(404).end('<Error><Code>NoSuchUpload</Code></Error>');
    if (req.method === 'PUT') {
      if (file.httpMethod !== 'PUT' || url.searchParams.get('X-Goog-Signature') !== `sig-${token}`) {
        return void res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      }
      if (req.headers['content-type'] !== file.mimeType || req.headers['x-goog-acl'] !== 'private') {
        return void res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code><Message>headers</Message></Error>');
      }
      file.bytes = body;
      this.uploads.push({ key: file.key, method: 'PUT', fieldOrder: [], size: body.length });
      return void res.writeHead(200).end();
    }
    if (req.method !== 'POST' || file.httpMethod !== 'POST') return void res.writeHead(405).end();
    return new Request(url, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: new Uint8Array(body) })
      .formData()
      .then((form) => {
        const order: string[] = [];
        form.forEach((_value, name) => {
          order.push(name);
        });
        const expected = [...file.parameters.map((p) => p.name), 'file'];
        const paramsOk = file.parameters.every((p) => form.get(p.name) === p.value);
        const upload = form.get('file');
        // Storage evaluates the policy fields first: the file must come last, the fields exactly as given.
        if (order.join('\n') !== expected.join('\n') || !paramsOk || !(upload instanceof Blob)) {
          res.writeHead(400).end('<Error><Code>InvalidPolicyDocument</Code></Error>');
          return;
        }
        return upload.arrayBuffer().then((ab) => {
          const bytes = Buffer.from(ab);
          if (bytes.length !== file.fileSize) {
            res.writeHead(400).end('<Error><Code>EntityTooLarge</Code></Error>');
            return;
          }
          file.bytes = bytes;
          this.uploads.push({ key: file.key, method: 'POST', fieldOrder: order, size: bytes.length });
          res.writeHead(201, { 'content-type': 'application/xml' }).end(`<PostResponse><Key>${file.key}</Key></PostResponse>`);
        });
      });
  }
}

function detect(query: string): FakeOperation | undefined {
  if (/\bfileDelete\s*\(/.test(query)) return 'fileDelete';
  if (/\bstagedUploadsCreate\s*\(/.test(query)) return 'stagedUploadsCreate';
  if (/\bproductUpdate\s*\(/.test(query)) return 'productUpdate';
  if (/\bproductVariants\s*\(/.test(query)) return 'productBySku';
  if (/\bnodes\s*\(\s*ids\s*:/.test(query)) return 'mediaStatus';
  if (/\bproduct\s*\(\s*id\s*:/.test(query)) return 'productMedia';
  return undefined;
}

/** Each status poll moves a new item one step: UPLOADED → PROCESSING → READY (or FAILED for non-images). */
function advance(m: FakeMedia): void {
  m.polls++;
  if (m.status === 'UPLOADED') m.status = 'PROCESSING';
  else if (m.status === 'PROCESSING') {
    if (m.bytes && isImage(m.bytes)) m.status = 'READY';
    else {
      m.status = 'FAILED';
      m.mediaErrors = m.bytes
        ? [{ code: 'UNSUPPORTED_IMAGE_FILE_TYPE', details: null, message: 'Image could not be processed because the file type is not supported.' }]
        : [{ code: 'IMAGE_DOWNLOAD_FAILURE', details: null, message: 'Image could not be downloaded.' }];
    }
  }
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether the query's tokens appear, in order and next to each other, among the value's tokens. */
function matchesTokens(value: string, query: string): boolean {
  const have = tokens(value);
  const want = tokens(query);
  if (want.length === 0) return false;
  for (let i = 0; i + want.length <= have.length; i++) {
    if (want.every((t, k) => have[i + k] === t)) return true;
  }
  return false;
}

function gidNumber(gid: string): number {
  return Number(gid.split('/').pop());
}

function isImage(b: Buffer): boolean {
  const jpeg = b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  const png = b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return jpeg || png;
}

function mediaNode(m: FakeMedia): { id: string; alt: string | null; status: string; mediaContentType: string } {
  return { id: m.id, alt: m.alt, status: m.status, mediaContentType: 'IMAGE' };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeShopify(opts?: FakeShopifyOptions): Promise<FakeShopify> {
  return new FakeShopify(opts).start();
}
