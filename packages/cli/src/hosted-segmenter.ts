/**
 * Local first, hosted when needed: with REPLICATE_API_TOKEN set (the same variables as the reference
 * server, read by @jobkit/provider-replicate's replicateConfigFromEnv), the pipeline's segmenter becomes
 * createSegmenterChain([sharp studio segmenter, Replicate segmenter]) — Replicate is called, and paid, only
 * for photos the local segmenter refuses or cuts doubtfully, and for cuts an operator sends back with
 * `jobkit review reject --retry-with hosted`. Backgrounds stay local (sharp): they are never doubtful.
 */
import type { ReplicateEnvConfig } from '@jobkit/provider-replicate';
import { replicateConfigFromEnv } from '@jobkit/provider-replicate';
import type { CliIo } from './io.js';

export interface HostedSegmenterConfig {
  provider: 'replicate';
  replicate: ReplicateEnvConfig;
  fetch?: CliIo['fetch'];
}

/**
 * The hosted segmenter configured in the environment, or null. A bad variable throws INVALID_INPUT naming it
 * (exit 2). Always sync mode: a CLI run has no public URL for Replicate's webhooks, so it polls.
 */
export function hostedSegmenterFromEnv(io: Pick<CliIo, 'env' | 'fetch'>): HostedSegmenterConfig | null {
  // Webhook variables meant for a server in the same environment must not switch the CLI to webhook mode.
  const { JOBKIT_PUBLIC_URL: _url, JOBKIT_REPLICATE_WEBHOOK_SECRET: _secret, ...env } = io.env;
  const config = replicateConfigFromEnv(env);
  if (!config) return null;
  return { provider: 'replicate', replicate: { ...config, mode: 'sync', webhookSecret: null }, ...(io.fetch ? { fetch: io.fetch } : {}) };
}

export const HOSTED_HELP = `Hosted segmenter (optional):
  REPLICATE_API_TOKEN    when set, photos the local segmenter refuses or cuts doubtfully (score below
                         --review-min-score) are cut by Replicate instead — and only those are paid for
                         (JOBKIT_REPLICATE_SEGMENT_MODEL picks the model)`;
