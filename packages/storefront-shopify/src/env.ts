/** Configuration from environment variables (for servers and the CLI). */
import { invalidInput } from 'jobkit';
import { validateApiVersion } from './options.js';

export interface ShopifyEnvConfig {
  storeDomain: string;
  accessToken: string;
  apiVersion?: string;
}

/**
 * Reads SHOPIFY_STORE_DOMAIN, SHOPIFY_ACCESS_TOKEN and SHOPIFY_API_VERSION. Returns null when neither the
 * domain nor the token is set (Shopify not configured); one without the other is INVALID_INPUT naming the
 * missing variable. Empty values count as unset.
 */
export function shopifyConfigFromEnv(env: Record<string, string | undefined> = process.env): ShopifyEnvConfig | null {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const storeDomain = value('SHOPIFY_STORE_DOMAIN');
  const accessToken = value('SHOPIFY_ACCESS_TOKEN');
  const apiVersion = value('SHOPIFY_API_VERSION');
  if (storeDomain === undefined && accessToken === undefined) return null;
  if (storeDomain === undefined) throw invalidInput('SHOPIFY_STORE_DOMAIN', 'must be set when SHOPIFY_ACCESS_TOKEN is set');
  if (accessToken === undefined) throw invalidInput('SHOPIFY_ACCESS_TOKEN', 'must be set when SHOPIFY_STORE_DOMAIN is set');
  return {
    storeDomain,
    accessToken,
    ...(apiVersion !== undefined ? { apiVersion: validateApiVersion('SHOPIFY_API_VERSION', apiVersion) } : {}),
  };
}
