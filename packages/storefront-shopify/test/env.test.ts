import { JobkitError } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { shopifyConfigFromEnv } from '../src/index.js';

function invalidField(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(JobkitError.is(err, 'INVALID_INPUT')).toBe(true);
    return (err as JobkitError).details?.field;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('shopifyConfigFromEnv', () => {
  it('returns null when Shopify is not configured (unset or empty)', () => {
    expect(shopifyConfigFromEnv({})).toBeNull();
    expect(shopifyConfigFromEnv({ SHOPIFY_STORE_DOMAIN: '', SHOPIFY_ACCESS_TOKEN: '  ' })).toBeNull();
    expect(shopifyConfigFromEnv({ SHOPIFY_API_VERSION: '2026-10' })).toBeNull();
  });

  it('reads domain, token and optional API version', () => {
    expect(shopifyConfigFromEnv({ SHOPIFY_STORE_DOMAIN: 'shop.myshopify.com', SHOPIFY_ACCESS_TOKEN: 'shpat_1' })).toEqual({
      storeDomain: 'shop.myshopify.com',
      accessToken: 'shpat_1',
    });
    expect(shopifyConfigFromEnv({ SHOPIFY_STORE_DOMAIN: 'shop.myshopify.com', SHOPIFY_ACCESS_TOKEN: 'shpat_1', SHOPIFY_API_VERSION: ' 2026-07 ' })).toEqual({
      storeDomain: 'shop.myshopify.com',
      accessToken: 'shpat_1',
      apiVersion: '2026-07',
    });
  });

  it('names the missing variable when only one of domain and token is set', () => {
    expect(invalidField(() => shopifyConfigFromEnv({ SHOPIFY_STORE_DOMAIN: 'shop.myshopify.com' }))).toBe('SHOPIFY_ACCESS_TOKEN');
    expect(invalidField(() => shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 'shpat_1' }))).toBe('SHOPIFY_STORE_DOMAIN');
  });

  it('rejects a malformed API version', () => {
    expect(
      invalidField(() => shopifyConfigFromEnv({ SHOPIFY_STORE_DOMAIN: 'shop.myshopify.com', SHOPIFY_ACCESS_TOKEN: 'shpat_1', SHOPIFY_API_VERSION: 'latest' })),
    ).toBe('SHOPIFY_API_VERSION');
  });
});
