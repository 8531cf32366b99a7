/**
 * Environment switch: REPLICATE_API_TOKEN turns Replicate on. Webhook mode when both JOBKIT_PUBLIC_URL
 * and JOBKIT_REPLICATE_WEBHOOK_SECRET are set (the URL must be https when NODE_ENV=production), else sync
 * mode. Bad values throw INVALID_INPUT naming the variable, at startup rather than on the first job.
 */
import { invalidInput } from 'jobkit';
import { DEFAULT_BACKGROUND_MODEL } from './background-generator.js';
import { formatModelRef, parseModelRef } from './model-ref.js';
import type { ReplicateProvidersOptions } from './providers.js';
import { HTTPS_REQUIRED } from './runtime.js';
import { DEFAULT_SEGMENT_MODEL } from './segmenter.js';

export interface ReplicateEnvConfig extends ReplicateProvidersOptions {
  auth: string;
  mode: 'sync' | 'webhook';
  segment: { model: string };
  background: { model: string };
  /** Set in webhook mode: the public base URL Replicate calls back. */
  webhookBaseUrl?: string;
  /** Set in webhook mode: for createReplicateWebhookHandler({ secrets }). */
  webhookSecret: string | null;
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function publicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidInput('JOBKIT_PUBLIC_URL', 'must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw invalidInput('JOBKIT_PUBLIC_URL', 'must be an http(s) URL without credentials, query or fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

export function replicateConfigFromEnv(env: Env = process.env): ReplicateEnvConfig | null {
  const auth = nonEmpty(env, 'REPLICATE_API_TOKEN');
  if (!auth) return null;
  if (/\s/.test(auth)) throw invalidInput('REPLICATE_API_TOKEN', 'must not contain whitespace');
  const segmentModel = formatModelRef(
    parseModelRef(nonEmpty(env, 'JOBKIT_REPLICATE_SEGMENT_MODEL') ?? DEFAULT_SEGMENT_MODEL, 'JOBKIT_REPLICATE_SEGMENT_MODEL'),
  );
  const backgroundModel = formatModelRef(
    parseModelRef(nonEmpty(env, 'JOBKIT_REPLICATE_BACKGROUND_MODEL') ?? DEFAULT_BACKGROUND_MODEL, 'JOBKIT_REPLICATE_BACKGROUND_MODEL'),
  );
  const rawUrl = nonEmpty(env, 'JOBKIT_PUBLIC_URL');
  const base = rawUrl === undefined ? undefined : publicUrl(rawUrl);
  const secret = nonEmpty(env, 'JOBKIT_REPLICATE_WEBHOOK_SECRET');
  if (secret !== undefined && !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
    throw invalidInput('JOBKIT_REPLICATE_WEBHOOK_SECRET', 'must be Replicate\'s signing secret, "whsec_" followed by base64');
  }
  const webhook = base !== undefined && secret !== undefined;
  if (webhook && base.startsWith('http:') && env.NODE_ENV === 'production') throw invalidInput('JOBKIT_PUBLIC_URL', HTTPS_REQUIRED);
  return {
    auth,
    mode: webhook ? 'webhook' : 'sync',
    segment: { model: segmentModel },
    background: { model: backgroundModel },
    ...(webhook ? { webhookBaseUrl: base } : {}),
    webhookSecret: webhook ? secret : null,
  };
}
