/**
 * Opt-in test against a real Shopify store. Set SHOPIFY_STORE_DOMAIN, SHOPIFY_ACCESS_TOKEN (scope
 * write_products) and SHOPIFY_TEST_SKU (an existing variant's SKU). It attaches one small image to that
 * product once: the marker is fixed, so later runs reuse it instead of adding another.
 */
import { storefrontMarker } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { createShopifyStorefront, shopifyConfigFromEnv } from '../src/index.js';
import { imageSource, providerContext } from './support/fixtures.js';

const config = shopifyConfigFromEnv(process.env);
const sku = process.env.SHOPIFY_TEST_SKU;
const reason = !config ? 'SHOPIFY_STORE_DOMAIN and SHOPIFY_ACCESS_TOKEN are not set' : !sku ? 'SHOPIFY_TEST_SKU is not set' : undefined;
if (reason) console.info(`[storefront-shopify] live Shopify test skipped: ${reason}`);

// 1×1 white PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC', 'base64');

describe.skipIf(reason !== undefined)('live Shopify store', () => {
  it('pushes one image and finds it again on the second push', { timeout: 180_000 }, async () => {
    const storefront = createShopifyStorefront({ ...config!, pollIntervalMs: 2_000 });
    const marker = storefrontMarker('jobkit-live-test', '1x1', 1);
    const source = imageSource(`composites/default/${sku}/live_1x1_1_master.png`, PNG, { contentType: 'image/png' });
    const req = { jobId: 'jobkit-live-test', sku: sku!, theme: 'default', images: [{ key: source.key, aspect: '1x1', variant: 1, source, marker }] };
    const first = await storefront.push(req, providerContext());
    expect(first.mediaIds[0]).toMatch(/^gid:\/\/shopify\/MediaImage\/\d+$/);
    const second = await createShopifyStorefront({ ...config! }).push(req, providerContext());
    expect(second.mediaIds).toEqual(first.mediaIds);
  });
});
