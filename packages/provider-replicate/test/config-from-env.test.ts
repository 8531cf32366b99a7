import { describe, expect, it } from 'vitest';
import { JobkitError } from 'jobkit';
import { DEFAULT_BACKGROUND_MODEL, DEFAULT_SEGMENT_MODEL, createReplicateProviders, replicateConfigFromEnv } from '../src/index.js';

function invalid(fn: () => unknown): JobkitError {
  try {
    fn();
  } catch (err) {
    if (JobkitError.is(err, 'INVALID_INPUT')) return err;
    throw err;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('replicateConfigFromEnv', () => {
  it('is null without REPLICATE_API_TOKEN (Replicate off)', () => {
    expect(replicateConfigFromEnv({})).toBeNull();
    expect(replicateConfigFromEnv({ REPLICATE_API_TOKEN: '  ', JOBKIT_PUBLIC_URL: 'https://x.example' })).toBeNull();
  });

  it('defaults to sync mode with the default models', () => {
    const cfg = replicateConfigFromEnv({ REPLICATE_API_TOKEN: 'r8_abc' });
    expect(cfg).toEqual({
      auth: 'r8_abc',
      mode: 'sync',
      segment: { model: DEFAULT_SEGMENT_MODEL },
      background: { model: DEFAULT_BACKGROUND_MODEL },
      webhookSecret: null,
    });
    // The config feeds the factory directly.
    expect(() => createReplicateProviders(cfg!)).not.toThrow();
  });

  it('switches to webhook mode only when both the public URL and the secret are set', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const both = replicateConfigFromEnv({
      REPLICATE_API_TOKEN: 'r8_abc',
      JOBKIT_PUBLIC_URL: 'https://jobs.example.com/',
      JOBKIT_REPLICATE_WEBHOOK_SECRET: secret,
    });
    expect(both).toMatchObject({ mode: 'webhook', webhookBaseUrl: 'https://jobs.example.com', webhookSecret: secret });
    expect(() => createReplicateProviders(both!)).not.toThrow();
    expect(replicateConfigFromEnv({ REPLICATE_API_TOKEN: 'r8_abc', JOBKIT_PUBLIC_URL: 'https://jobs.example.com' })?.mode).toBe('sync');
    expect(replicateConfigFromEnv({ REPLICATE_API_TOKEN: 'r8_abc', JOBKIT_REPLICATE_WEBHOOK_SECRET: secret })?.mode).toBe('sync');
  });

  it('refuses an http: JOBKIT_PUBLIC_URL for webhook mode when NODE_ENV=production', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const env = { REPLICATE_API_TOKEN: 'r8_abc', JOBKIT_PUBLIC_URL: 'http://jobs.example.com', JOBKIT_REPLICATE_WEBHOOK_SECRET: secret };
    const err = invalid(() => replicateConfigFromEnv({ ...env, NODE_ENV: 'production' }));
    expect(err.details?.field).toBe('JOBKIT_PUBLIC_URL');
    expect(err.message).toMatch(/https/);
    expect(replicateConfigFromEnv({ ...env, NODE_ENV: 'production', JOBKIT_PUBLIC_URL: 'https://jobs.example.com' })?.mode).toBe('webhook');
    expect(replicateConfigFromEnv({ ...env, NODE_ENV: 'development' })?.mode).toBe('webhook');
    // Without the secret the URL is not used for Replicate webhooks: sync mode, nothing to refuse.
    expect(replicateConfigFromEnv({ REPLICATE_API_TOKEN: 'r8_abc', JOBKIT_PUBLIC_URL: 'http://jobs.example.com', NODE_ENV: 'production' })?.mode).toBe('sync');
  });

  it('reads the model variables', () => {
    const cfg = replicateConfigFromEnv({
      REPLICATE_API_TOKEN: 'r8_abc',
      JOBKIT_REPLICATE_SEGMENT_MODEL: `lucataco/remove-bg:${'9'.repeat(64)}`,
      JOBKIT_REPLICATE_BACKGROUND_MODEL: 'black-forest-labs/flux-dev',
    });
    expect(cfg?.segment.model).toBe(`lucataco/remove-bg:${'9'.repeat(64)}`);
    expect(cfg?.background.model).toBe('black-forest-labs/flux-dev');
  });

  it('throws INVALID_INPUT naming the variable on bad values', () => {
    const base = { REPLICATE_API_TOKEN: 'r8_abc' };
    expect(invalid(() => replicateConfigFromEnv({ REPLICATE_API_TOKEN: 'r8 abc' })).details?.field).toBe('REPLICATE_API_TOKEN');
    expect(invalid(() => replicateConfigFromEnv({ ...base, JOBKIT_REPLICATE_SEGMENT_MODEL: 'just-a-name' })).details?.field).toBe(
      'JOBKIT_REPLICATE_SEGMENT_MODEL',
    );
    expect(invalid(() => replicateConfigFromEnv({ ...base, JOBKIT_REPLICATE_BACKGROUND_MODEL: 'a/b:notahash' })).details?.field).toBe(
      'JOBKIT_REPLICATE_BACKGROUND_MODEL',
    );
    expect(invalid(() => replicateConfigFromEnv({ ...base, JOBKIT_PUBLIC_URL: 'not a url' })).details?.field).toBe('JOBKIT_PUBLIC_URL');
    expect(invalid(() => replicateConfigFromEnv({ ...base, JOBKIT_PUBLIC_URL: 'ftp://x.example' })).details?.field).toBe('JOBKIT_PUBLIC_URL');
    expect(invalid(() => replicateConfigFromEnv({ ...base, JOBKIT_REPLICATE_WEBHOOK_SECRET: 'plain-secret' })).details?.field).toBe(
      'JOBKIT_REPLICATE_WEBHOOK_SECRET',
    );
  });
});
