/**
 * Configuration from environment variables, parsed in one place. A bad value fails at start-up with an
 * INVALID_INPUT naming the variable. The optional integrations (Replicate, Shopify, S3, PostgreSQL) read
 * their own variables through their packages' *ConfigFromEnv helpers in runtime.ts.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_REVIEW_MIN_SCORE, DERIVATIVE_FORMATS, REVIEW_POLICIES, invalidInput, type DerivativeFormat, type ReviewPolicy } from 'jobkit';

export type Env = Record<string, string | undefined>;

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => TRUE.includes(v) || FALSE.includes(v), 'must be 1/0, true/false, yes/no or on/off')
  .transform((v) => TRUE.includes(v));
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const positiveInt = z.coerce.number().int().min(1);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  JOBKIT_DATA_DIR: z.string().trim().min(1).default('./data'),
  JOBKIT_WEBHOOK_SECRET: list.optional(),
  JOBKIT_API_TOKEN: list.optional(),
  JOBKIT_FILE_SIGNING_SECRET: z.string().trim().min(16).optional(),
  JOBKIT_IMAGE_MAX_PER_SKU: positiveInt.optional(),
  IMAGE_MAX_PER_SKU: positiveInt.optional(),
  JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: flag.optional(),
  JOBKIT_WORKER: flag.optional(),
  // Jobs in flight; the image pool's pixel budget (not this number) bounds memory, so twice the cores keeps it busy.
  JOBKIT_WORKER_CONCURRENCY: positiveInt.max(64).default(4),
  JOBKIT_DERIVATIVE_FORMATS: list.pipe(z.array(z.enum(DERIVATIVE_FORMATS))).optional(),
  JOBKIT_IMAGE_THREADS: positiveInt.max(256).optional(),
  JOBKIT_IMAGE_MAX_PIXELS: positiveInt.optional(),
  JOBKIT_AUTO_START: flag.optional(),
  JOBKIT_DAILY_BUDGET_USD: z.coerce.number().min(0).optional(),
  JOBKIT_REVIEW: z.string().trim().toLowerCase().pipe(z.enum(REVIEW_POLICIES)).default('doubtful'),
  JOBKIT_REVIEW_MIN_SCORE: z.coerce.number().min(0).max(1).default(DEFAULT_REVIEW_MIN_SCORE),
  JOBKIT_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      const url = new URL(u);
      return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    }, 'must be the server origin, e.g. https://jobs.example.com (no path, query or credentials)')
    .optional(),
  JOBKIT_SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
  JOBKIT_METRICS_PUBLIC: flag.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
});

export interface Config {
  port: number;
  host: string;
  /** Absolute. */
  dataDir: string;
  /** Given secrets; empty = generate one into {dataDir}/webhook-secret. */
  webhookSecrets: string[];
  /** Given tokens; empty = generate one into {dataDir}/api-token. */
  apiTokens: string[];
  fileSigningSecret: string | undefined;
  maxImagesPerSku: number | undefined;
  allowPrivateImageUrls: boolean;
  worker: boolean;
  workerConcurrency: number;
  /** Hero / product-page derivatives to write, per format (none by default: Shopify's CDN resizes and converts). */
  derivativeFormats: DerivativeFormat[];
  /** Image worker threads (default: the cores) and their pixel budget (default 24 MP). */
  imageThreads: number | undefined;
  imageMaxPixels: number | undefined;
  /** Webhook jobs are created QUEUED (default, whether or not this process runs a worker); false = they wait in NEW. */
  autoStart: boolean;
  dailyBudgetUsd: number | undefined;
  /** Which composited jobs wait in REVIEW for a person before the storefront (default 'doubtful'). */
  review: ReviewPolicy;
  /** Quality score below which a cut is doubtful: held under 'doubtful', and re-cut by the hosted segmenter when there is one. */
  reviewMinScore: number;
  /** Public origin; undefined = http://HOST:PORT once the port is known. */
  publicUrl: string | undefined;
  shutdownTimeoutMs: number;
  /** Serve /api/metrics without the API token (a scraper on a private network). */
  metricsPublic: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  production: boolean;
  /** The environment, for the integrations' own *ConfigFromEnv readers. */
  env: Env;
}

/** Parses the environment. Empty strings count as unset. Throws INVALID_INPUT naming the variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const present: Env = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') present[key] = v;
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw invalidInput(name, `${issue.message} (got ${JSON.stringify(present[name] ?? '').slice(0, 60)})`);
  }
  const e = parsed.data;
  if (e.JOBKIT_IMAGE_MAX_PER_SKU !== undefined && e.IMAGE_MAX_PER_SKU !== undefined && e.JOBKIT_IMAGE_MAX_PER_SKU !== e.IMAGE_MAX_PER_SKU) {
    throw invalidInput('IMAGE_MAX_PER_SKU', 'differs from JOBKIT_IMAGE_MAX_PER_SKU; set only one');
  }
  for (const [name, values] of [
    ['JOBKIT_API_TOKEN', e.JOBKIT_API_TOKEN],
    ['JOBKIT_WEBHOOK_SECRET', e.JOBKIT_WEBHOOK_SECRET],
  ] as const) {
    if (values?.some((v) => v.length < 16)) throw invalidInput(name, 'each value must be at least 16 characters (comma-separated for several)');
  }
  const worker = e.JOBKIT_WORKER ?? true;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(cwd, e.JOBKIT_DATA_DIR),
    webhookSecrets: e.JOBKIT_WEBHOOK_SECRET ?? [],
    apiTokens: e.JOBKIT_API_TOKEN ?? [],
    fileSigningSecret: e.JOBKIT_FILE_SIGNING_SECRET,
    maxImagesPerSku: e.JOBKIT_IMAGE_MAX_PER_SKU ?? e.IMAGE_MAX_PER_SKU,
    allowPrivateImageUrls: e.JOBKIT_ALLOW_PRIVATE_IMAGE_URLS ?? false,
    worker,
    workerConcurrency: e.JOBKIT_WORKER_CONCURRENCY,
    derivativeFormats: [...new Set(e.JOBKIT_DERIVATIVE_FORMATS ?? [])],
    imageThreads: e.JOBKIT_IMAGE_THREADS,
    imageMaxPixels: e.JOBKIT_IMAGE_MAX_PIXELS,
    // Not tied to this process's worker: a webhook that lands on an API-only replica must still create a job
    // any worker sharing the database can claim. Off only for an external driver that starts jobs itself.
    autoStart: e.JOBKIT_AUTO_START ?? true,
    dailyBudgetUsd: e.JOBKIT_DAILY_BUDGET_USD,
    review: e.JOBKIT_REVIEW,
    reviewMinScore: e.JOBKIT_REVIEW_MIN_SCORE,
    publicUrl: e.JOBKIT_PUBLIC_URL?.replace(/\/+$/, ''),
    shutdownTimeoutMs: e.JOBKIT_SHUTDOWN_TIMEOUT_MS,
    metricsPublic: e.JOBKIT_METRICS_PUBLIC ?? false,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    env,
  };
}

/** The public origin: JOBKIT_PUBLIC_URL, else http://HOST:PORT (0.0.0.0 / :: → 127.0.0.1). */
export function publicOrigin(config: Config, port: number): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
