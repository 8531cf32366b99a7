import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminApiClient } from '@shopify/admin-api-client';
import { JobkitError, storefrontMarker } from 'jobkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_VERSION, createMemoryProductIdCache, createShopifyStorefront, type ShopifyStorefrontOptions } from '../src/index.js';
import { startFakeShopify, type FakeShopify } from './support/fake-shopify.js';
import { imageSource, images, jpegBytes, providerContext, recordingLogger } from './support/fixtures.js';

let fake: FakeShopify;
beforeEach(async () => {
  fake = await startFakeShopify();
});
afterEach(async () => {
  await fake.close();
});

type Overrides = Partial<Omit<ShopifyStorefrontOptions, 'client'>>;
function storefront(over: Overrides = {}) {
  return createShopifyStorefront({
    storeDomain: fake.storeDomain,
    accessToken: fake.accessToken,
    customFetchApi: fake.customFetchApi,
    pollIntervalMs: 5,
    pollMaxIntervalMs: 20,
    ...over,
  } as ShopifyStorefrontOptions);
}

async function rejection(p: Promise<unknown>): Promise<JobkitError> {
  try {
    await p;
  } catch (err) {
    expect(JobkitError.is(err)).toBe(true);
    return err as JobkitError;
  }
  throw new Error('expected a rejection');
}

describe('push', () => {
  it('uploads three images through staged uploads and returns three READY MediaImage ids in order', async () => {
    const product = fake.addProduct({ sku: 'MUG-01', title: 'Blue Mug', existingMedia: 1 });
    const sf = storefront();
    const imgs = images('job1', 'MUG-01');
    const res = await sf.push({ jobId: 'job1', sku: 'MUG-01', theme: 'summer', images: imgs }, providerContext());

    expect(res.costUsd).toBe(0);
    expect(res.mediaIds).toHaveLength(3);
    const ours = product.media.slice(1);
    expect(res.mediaIds).toEqual(ours.map((m) => m.id));
    for (const [i, m] of ours.entries()) {
      expect(m.id).toMatch(/^gid:\/\/shopify\/MediaImage\/\d+$/);
      expect(m.status).toBe('READY');
      expect(m.alt).toBe(`Blue Mug — summer [${imgs[i]!.marker}]`);
    }
    // One batch of staged targets, three multipart POSTs with the parameters in order and the file last.
    expect(fake.callsOf('stagedUploadsCreate')).toBe(1);
    expect(fake.callsOf('productUpdate')).toBe(1);
    expect(fake.uploads).toHaveLength(3);
    for (const u of fake.uploads) {
      expect(u.method).toBe('POST');
      expect(u.fieldOrder.at(-1)).toBe('file');
      expect(u.fieldOrder.slice(0, 4)).toEqual(['Content-Type', 'success_action_status', 'acl', 'key']);
      expect(u.size).toBe(2048);
    }
    expect(fake.calls.every((c) => c.apiVersion === DEFAULT_API_VERSION)).toBe(true);
    expect(sf.apiVersion).toBe(DEFAULT_API_VERSION);

    // The same push again (worker retry): nothing uploaded, same ids, the SKU comes from the cache.
    const again = await sf.push({ jobId: 'job1', sku: 'MUG-01', theme: 'summer', images: imgs }, providerContext());
    expect(again.mediaIds).toEqual(res.mediaIds);
    expect(fake.callsOf('productBySku')).toBe(1);
    expect(fake.callsOf('stagedUploadsCreate')).toBe(1);
    expect(fake.callsOf('productUpdate')).toBe(1);
    expect(product.media).toHaveLength(4);
  });

  it('looks the SKU up with a quoted productVariants search and needs an exact match', async () => {
    fake.addProduct({ sku: 'mug-01.v2', title: 'Mug' });
    const sf = storefront();
    await sf.push({ jobId: 'j', sku: 'mug-01.v2', theme: 'summer', images: images('j', 'mug-01.v2', 1) }, providerContext());
    const lookup = fake.calls.find((c) => c.operation === 'productBySku')!;
    expect(lookup.variables.query).toBe('sku:"mug-01.v2"');

    // The search is case-insensitive; the SKU must still match exactly.
    const err = await rejection(sf.push({ jobId: 'j', sku: 'MUG-01.V2', theme: 'summer', images: images('j', 'MUG-01.V2', 1) }, providerContext()));
    expect(err.code).toBe('STOREFRONT_FAILED');
  });

  it('finds the exact SKU among tokenised matches that sort before it (SHIRT-BLUE-M-XL created first)', async () => {
    fake.addProduct({ sku: 'SHIRT-BLUE-M-XL', title: 'Shirt XL' });
    fake.addProduct({ sku: 'shirt-blue-m', title: 'Lowercase twin' });
    const shirt = fake.addProduct({ sku: 'SHIRT-BLUE-M', title: 'Shirt M' });
    const res = await storefront().push({ jobId: 'j', sku: 'SHIRT-BLUE-M', theme: 'summer', images: images('j', 'SHIRT-BLUE-M', 1) }, providerContext());
    expect(res.mediaIds).toEqual([shirt.media[0]!.id]);
  });

  it('pages through the candidates when the exact SKU is not on the first page', async () => {
    for (let i = 0; i < 60; i++) fake.addProduct({ sku: `BOLT-M4-${i}`, title: `Bolt ${i}` });
    const bolt = fake.addProduct({ sku: 'BOLT-M4', title: 'Bolt' });
    const res = await storefront().push({ jobId: 'j', sku: 'BOLT-M4', theme: 'summer', images: images('j', 'BOLT-M4', 1) }, providerContext());
    expect(res.mediaIds).toEqual([bolt.media[0]!.id]);
    // 61 candidates in pages of 25.
    expect(fake.callsOf('productBySku')).toBe(3);
    expect(fake.calls.filter((c) => c.operation === 'productBySku').map((c) => c.variables.first)).toEqual([25, 25, 25]);
  });

  it('two variants of one product with the same SKU are unambiguous: the push goes to that product', async () => {
    const product = fake.addProduct({ sku: 'MUG-SET', title: 'Mug set', moreSkus: ['MUG-SET'] });
    const res = await storefront().push({ jobId: 'j', sku: 'MUG-SET', theme: 'summer', images: images('j', 'MUG-SET', 1) }, providerContext());
    expect(res.mediaIds).toEqual([product.media[0]!.id]);
  });

  it('the same SKU on two products is a non-retryable STOREFRONT_FAILED naming both, and nothing is uploaded', async () => {
    const a = fake.addProduct({ sku: 'DUP-1', title: 'Old listing' });
    const b = fake.addProduct({ sku: 'DUP-1', title: 'New listing' });
    const err = await rejection(storefront().push({ jobId: 'j', sku: 'DUP-1', theme: 'summer', images: images('j', 'DUP-1', 1) }, providerContext()));
    expect(err.code).toBe('STOREFRONT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(a.id);
    expect(err.message).toContain(b.id);
    expect(err.message).toContain('Old listing');
    expect(err.message).toContain('New listing');
    expect(err.details).toMatchObject({ sku: 'DUP-1', productIds: [a.id, b.id] });
    expect(fake.callsOf('stagedUploadsCreate')).toBe(0);
    expect(a.media.length + b.media.length).toBe(0);
  });

  it('fails non-retryably when no product has the SKU', async () => {
    fake.addProduct({ sku: 'OTHER', title: 'Other' });
    const err = await rejection(storefront().push({ jobId: 'j', sku: 'NOPE-1', theme: 'summer', images: images('j', 'NOPE-1') }, providerContext()));
    expect(err.code).toBe('STOREFRONT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('no product with SKU NOPE-1');
    expect(fake.callsOf('stagedUploadsCreate')).toBe(0);
  });

  it('uses PUT staged targets with the parameters as headers when asked', async () => {
    const product = fake.addProduct({ sku: 'PUT-1', title: 'Lamp' });
    const res = await storefront({ stagedUploadMethod: 'PUT' }).push(
      { jobId: 'j', sku: 'PUT-1', theme: 'summer', images: images('j', 'PUT-1', 2) },
      providerContext(),
    );
    expect(res.mediaIds).toEqual(product.media.map((m) => m.id));
    expect(fake.uploads.map((u) => u.method)).toEqual(['PUT', 'PUT']);
  });

  it('hands Shopify the public URL and skips the staged upload with usePublicUrl', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(9)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/photo.jpg`;
      const product = fake.addProduct({ sku: 'URL-1', title: 'Vase' });
      const src = imageSource('composites/summer/URL-1/x_1x1_1_master.jpg', jpegBytes(1), { publicUrl: url });
      const img = { key: src.key, aspect: '1x1', variant: 1, source: src, marker: storefrontMarker('j', '1x1', 1) };
      const res = await storefront({ usePublicUrl: true }).push({ jobId: 'j', sku: 'URL-1', theme: 'summer', images: [img] }, providerContext());
      expect(res.mediaIds).toEqual([product.media[0]!.id]);
      expect(product.media[0]!.source).toBe(url);
      expect(product.media[0]!.status).toBe('READY');
      expect(fake.callsOf('stagedUploadsCreate')).toBe(0);
      expect(src.reads).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("reports a FAILED media item with Shopify's mediaErrors, non-retryable", async () => {
    fake.addProduct({ sku: 'BAD-1', title: 'Broken' });
    const imgs = images('j', 'BAD-1', 2, (i) => (i === 1 ? Buffer.from('this is not an image at all') : jpegBytes(i)));
    const err = await rejection(storefront().push({ jobId: 'j', sku: 'BAD-1', theme: 'summer', images: imgs }, providerContext()));
    expect(err.code).toBe('STOREFRONT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('Image could not be processed because the file type is not supported.');
    expect(err.details?.marker).toBe(imgs[1]!.marker);
    expect(err.details?.mediaErrors).toEqual([
      { code: 'UNSUPPORTED_IMAGE_FILE_TYPE', message: 'Image could not be processed because the file type is not supported.', details: null },
    ]);
  });

  it('deletes an earlier FAILED item (fileDelete) before uploading its replacement', async () => {
    const product = fake.addProduct({ sku: 'BAD-2', title: 'Broken', existingMedia: 1 });
    const bad = images('j', 'BAD-2', 1, () => Buffer.from('not an image'));
    await rejection(storefront().push({ jobId: 'j', sku: 'BAD-2', theme: 'summer', images: bad }, providerContext()));
    const failed = product.media[1]!;
    expect(failed.status).toBe('FAILED');

    const logger = recordingLogger();
    const good = images('j', 'BAD-2', 1);
    const res = await storefront().push({ jobId: 'j', sku: 'BAD-2', theme: 'summer', images: good }, providerContext({ logger }));
    // The merchant's own photo stays; the dead item is gone; the new one is READY.
    expect(product.media.map((m) => m.status)).toEqual(['READY', 'READY']);
    expect(product.media.some((m) => m.id === failed.id)).toBe(false);
    expect(res.mediaIds).toEqual([product.media[1]!.id]);
    expect(fake.deletedFiles).toEqual([failed.id]);
    // Deleted before the replacement was uploaded.
    const order = fake.calls.filter((c) => !c.throttled).map((c) => c.operation);
    expect(order.lastIndexOf('fileDelete')).toBeLessThan(order.lastIndexOf('stagedUploadsCreate'));
    expect(logger.entries.some((e) => e.msg?.includes('deleted') && (e.obj.mediaIds as string[] | undefined)?.includes(failed.id))).toBe(true);
    // A later run finds nothing to delete.
    await storefront().push({ jobId: 'j', sku: 'BAD-2', theme: 'summer', images: good }, providerContext());
    expect(fake.callsOf('fileDelete')).toBe(1);
  });

  it('also clears FAILED leftovers of a marker that already has a good item (earlier versions kept them)', async () => {
    const product = fake.addProduct({ sku: 'BAD-3', title: 'Broken' });
    const bad = images('j', 'BAD-3', 1, () => Buffer.from('not an image'));
    await rejection(storefront().push({ jobId: 'j', sku: 'BAD-3', theme: 'summer', images: bad }, providerContext()));
    // What an earlier version left: the FAILED item next to a READY replacement with the same marker.
    const good = images('j', 'BAD-3', 1);
    const failedId = product.media[0]!.id;
    const copy = { ...product.media[0]!, id: 'gid://shopify/MediaImage/99999', status: 'READY' as const, bytes: Buffer.from([0xff, 0xd8, 0xff]) };
    product.media.push(copy);
    const res = await storefront().push({ jobId: 'j', sku: 'BAD-3', theme: 'summer', images: good }, providerContext());
    expect(res.mediaIds).toEqual([copy.id]);
    expect(fake.deletedFiles).toEqual([failedId]);
    expect(fake.callsOf('stagedUploadsCreate')).toBe(1); // only the first, bad push uploaded
  });

  it('without the write_files scope the FAILED item stays, a warning names the scope, and the push still succeeds', async () => {
    await fake.close();
    fake = await startFakeShopify({ scopes: ['write_products'] });
    const product = fake.addProduct({ sku: 'BAD-4', title: 'Broken' });
    await rejection(
      storefront().push({ jobId: 'j', sku: 'BAD-4', theme: 'summer', images: images('j', 'BAD-4', 1, () => Buffer.from('nope')) }, providerContext()),
    );
    const logger = recordingLogger();
    const res = await storefront().push({ jobId: 'j', sku: 'BAD-4', theme: 'summer', images: images('j', 'BAD-4', 1) }, providerContext({ logger }));
    expect(product.media.map((m) => m.status)).toEqual(['FAILED', 'READY']);
    expect(res.mediaIds).toEqual([product.media[1]!.id]);
    expect(logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e).includes('write_files'))).toBe(true);
  });

  it('a FAILED item someone deleted meanwhile (fileDelete userError) does not stop the push', async () => {
    const product = fake.addProduct({ sku: 'BAD-5', title: 'Broken' });
    await rejection(
      storefront().push({ jobId: 'j', sku: 'BAD-5', theme: 'summer', images: images('j', 'BAD-5', 1, () => Buffer.from('nope')) }, providerContext()),
    );
    // The merchant deletes it in the admin between our listing and our delete.
    fake.hooks.set('productMedia', () => {
      product.media.splice(0, product.media.length);
      fake.hooks.clear();
    });
    const res = await storefront().push({ jobId: 'j', sku: 'BAD-5', theme: 'summer', images: images('j', 'BAD-5', 1) }, providerContext());
    expect(res.mediaIds).toEqual([product.media[0]!.id]);
    expect(product.media.map((m) => m.status)).toEqual(['READY']);
  });

  it('after a crash between attaching and recording, a fresh instance attaches nothing and returns the same ids', async () => {
    const product = fake.addProduct({ sku: 'CRASH-1', title: 'Kettle', existingMedia: 5 });
    const imgs = images('job-crash', 'CRASH-1');
    const req = { jobId: 'job-crash', sku: 'CRASH-1', theme: 'summer', images: imgs };
    const controller = new AbortController();
    // The worker dies right after Shopify applied productUpdate, before the answer (the media ids) arrives.
    fake.hooks.set('productUpdate', () => controller.abort(new Error('worker crashed')));
    const crashed = await rejection(storefront().push(req, providerContext({ signal: controller.signal })));
    expect(crashed.code).toBe('CANCELLED');
    fake.hooks.clear();
    expect(product.media).toHaveLength(8);
    const attached = product.media.slice(5);
    expect(attached.every((m) => m.status === 'UPLOADED')).toBe(true);

    // Restart: new instance, empty cache, small pages so the listing is paginated.
    const res = await storefront({ cache: createMemoryProductIdCache(), mediaPageSize: 2 }).push(req, providerContext());
    expect(res.mediaIds).toEqual(attached.map((m) => m.id));
    expect(product.media).toHaveLength(8);
    expect(fake.callsOf('productUpdate')).toBe(1);
    expect(fake.callsOf('stagedUploadsCreate')).toBe(1);
    expect(fake.uploads).toHaveLength(3);
    // It waited for the items that were still processing.
    expect(attached.every((m) => m.status === 'READY')).toBe(true);
    // 8 media items in pages of 2.
    expect(fake.calls.filter((c) => c.operation === 'productMedia' && c.variables.first === 2)).toHaveLength(4);
  });

  it('times out with a retryable PROVIDER_TIMEOUT while Shopify is still processing, and the re-run waits for the same items', async () => {
    const product = fake.addProduct({ sku: 'SLOW-1', title: 'Slow' });
    const req = { jobId: 'j', sku: 'SLOW-1', theme: 'summer', images: images('j', 'SLOW-1', 2) };
    // One poll fits in the time allowed; the items need two to become READY.
    const err = await rejection(storefront({ pollIntervalMs: 10, pollTimeoutMs: 1 }).push(req, providerContext()));
    expect(err.code).toBe('PROVIDER_TIMEOUT');
    expect(err.retryable).toBe(true);
    const res = await storefront().push(req, providerContext());
    expect(res.mediaIds).toEqual(product.media.map((m) => m.id));
    expect(product.media).toHaveLength(2);
  });

  it('surfaces stagedUploadsCreate userErrors with field and message', async () => {
    fake.addProduct({ sku: 'TIFF-1', title: 'Scan' });
    const src = imageSource('composites/summer/TIFF-1/x_1x1_1_master.tiff', jpegBytes(1), { contentType: 'image/tiff' });
    const img = { key: src.key, aspect: '1x1', variant: 1, source: src, marker: storefrontMarker('j', '1x1', 1) };
    const err = await rejection(storefront().push({ jobId: 'j', sku: 'TIFF-1', theme: 'summer', images: [img] }, providerContext()));
    expect(err.code).toBe('STOREFRONT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('input.0.mimeType: Mime type image/tiff is not supported');
    expect(err.details?.userErrors).toEqual([{ field: ['input', '0', 'mimeType'], message: 'Mime type image/tiff is not supported' }]);
  });

  it('surfaces productUpdate userErrors with field and message', async () => {
    const product = fake.addProduct({ sku: 'URL-2', title: 'Vase' });
    const src = imageSource('k.jpg', jpegBytes(1), { publicUrl: 'ftp://example.com/photo.jpg' });
    const img = { key: src.key, aspect: '1x1', variant: 1, source: src, marker: storefrontMarker('j', '1x1', 1) };
    const err = await rejection(storefront({ usePublicUrl: true }).push({ jobId: 'j', sku: 'URL-2', theme: 'summer', images: [img] }, providerContext()));
    expect(err.retryable).toBe(false);
    expect(err.details?.userErrors).toEqual([{ field: ['media', '0', 'originalSource'], message: 'Image URL is invalid' }]);
    expect(product.media).toHaveLength(0);
  });

  it('keeps alt text within 512 characters and never cuts the marker', async () => {
    const title = `Extremely long product title ${'with many words '.repeat(40)}`;
    const product = fake.addProduct({ sku: 'LONG-1', title });
    const imgs = images('job-long', 'LONG-1', 2);
    const sf = storefront({ altTemplate: '{title} ({sku}, {aspect} #{variant}) — {theme}' });
    const res = await sf.push({ jobId: 'job-long', sku: 'LONG-1', theme: 'summer', images: imgs }, providerContext());
    for (const [i, m] of product.media.entries()) {
      expect(m.alt!.length).toBeLessThanOrEqual(512);
      expect(m.alt!.endsWith(`… [${imgs[i]!.marker}]`)).toBe(true);
      expect(m.alt!.startsWith('Extremely long product title with many words')).toBe(true);
    }
    // The marker survives the cut, so a fresh instance still recognises the items.
    const again = await storefront().push({ jobId: 'job-long', sku: 'LONG-1', theme: 'summer', images: imgs }, providerContext());
    expect(again.mediaIds).toEqual(res.mediaIds);
    expect(product.media).toHaveLength(2);
  });

  it('looks the SKU up again when the cached product was deleted', async () => {
    const first = fake.addProduct({ sku: 'MOVE-1', title: 'Old' });
    const sf = storefront();
    await sf.push({ jobId: 'a', sku: 'MOVE-1', theme: 'summer', images: images('a', 'MOVE-1', 1) }, providerContext());
    fake.products.delete(first.id);
    const second = fake.addProduct({ sku: 'MOVE-1', title: 'New' });
    const res = await sf.push({ jobId: 'b', sku: 'MOVE-1', theme: 'summer', images: images('b', 'MOVE-1', 1) }, providerContext());
    expect(res.mediaIds).toEqual([second.media[0]!.id]);
    expect(fake.callsOf('productBySku')).toBe(2);
  });

  it('stops with CANCELLED when the signal aborts while waiting for processing', async () => {
    fake.addProduct({ sku: 'STOP-1', title: 'Stop' });
    const controller = new AbortController();
    fake.hooks.set('mediaStatus', () => controller.abort());
    const err = await rejection(
      storefront({ pollIntervalMs: 50, pollMaxIntervalMs: 50 }).push(
        { jobId: 'j', sku: 'STOP-1', theme: 'summer', images: images('j', 'STOP-1', 1) },
        providerContext({ signal: controller.signal }),
      ),
    );
    expect(err.code).toBe('CANCELLED');
  });

  it('works with an injected Admin API client', async () => {
    const product = fake.addProduct({ sku: 'CLI-1', title: 'Client' });
    const client = createAdminApiClient({
      storeDomain: fake.storeDomain,
      accessToken: fake.accessToken,
      apiVersion: '2026-07',
      customFetchApi: fake.customFetchApi,
      logger: () => {},
    });
    const sf = createShopifyStorefront({ client, pollIntervalMs: 5 });
    const res = await sf.push({ jobId: 'j', sku: 'CLI-1', theme: 'summer', images: images('j', 'CLI-1', 1) }, providerContext());
    expect(res.mediaIds).toEqual([product.media[0]!.id]);
    expect(fake.calls.every((c) => c.apiVersion === '2026-07')).toBe(true);
    expect(sf.apiVersion).toBe('2026-07');
  });

  it('uses the configured apiVersion', async () => {
    fake.addProduct({ sku: 'VER-1', title: 'Versioned' });
    const sf = storefront({ apiVersion: '2026-04' });
    expect(sf.apiVersion).toBe('2026-04');
    await sf.push({ jobId: 'j', sku: 'VER-1', theme: 'summer', images: images('j', 'VER-1', 1) }, providerContext());
    expect(new Set(fake.calls.map((c) => c.apiVersion))).toEqual(new Set(['2026-04']));
  });
});

describe('throttling', () => {
  it('turns THROTTLED (HTTP 200) into RATE_LIMITED with the wait computed from the restore rate', async () => {
    fake.addProduct({ sku: 'THR-1', title: 'Throttled' });
    const req = { jobId: 'j', sku: 'THR-1', theme: 'summer', images: images('j', 'THR-1', 1) };
    // Bucket at 1 point; the SKU lookup (25 candidates) costs 52; restore rate 50/s → (52 − 1) / 50 s = 1020 ms.
    fake.throttleNext(1, 1);
    const err = await rejection(storefront({ maxThrottleWaitMs: 0 }).push(req, providerContext()));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryable).toBe(true);
    const report = fake.throttled[0]!;
    expect(report).toEqual({ requestedQueryCost: 52, currentlyAvailable: 1, maximumAvailable: 1000, restoreRate: 50 });
    expect(err.retryAfterMs).toBe(((report.requestedQueryCost - report.currentlyAvailable) / report.restoreRate) * 1000);
    expect(err.retryAfterMs).toBe(1020);
    expect(err.details).toMatchObject({ operation: 'productBySku', requestedQueryCost: 52, currentlyAvailable: 1, restoreRate: 50 });
  });

  it('waits a short throttle out in-process for the computed time, then succeeds', async () => {
    const product = fake.addProduct({ sku: 'THR-2', title: 'Throttled' });
    fake.throttleNext(1, 49); // 3 of the lookup's 52 points missing at 50/s → 60 ms
    const logger = recordingLogger();
    const started = performance.now();
    const res = await storefront().push({ jobId: 'j', sku: 'THR-2', theme: 'summer', images: images('j', 'THR-2', 1) }, providerContext({ logger }));
    expect(res.mediaIds).toEqual([product.media[0]!.id]);
    const warn = logger.entries.find((e) => e.level === 'warn' && e.msg?.includes('throttled'));
    expect(warn?.obj).toMatchObject({ operation: 'productBySku', retryAfterMs: 60 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
    expect(fake.calls.filter((c) => c.operation === 'productBySku').map((c) => c.throttled)).toEqual([true, false]);
  });

  it('rides a small leaky bucket: throttled on the way, every request eventually answered', async () => {
    await fake.close();
    fake = await startFakeShopify({ maximumAvailable: 60, restoreRate: 60 });
    const product = fake.addProduct({ sku: 'BKT-1', title: 'Bucket', existingMedia: 3 });
    const sf = storefront({ mediaPageSize: 10 });
    const res = await sf.push({ jobId: 'j', sku: 'BKT-1', theme: 'summer', images: images('j', 'BKT-1', 3) }, providerContext());
    expect(res.mediaIds).toEqual(product.media.slice(3).map((m) => m.id));
    // 52 + 12 + 11 + 33 points do not fit a 60-point bucket: the first productUpdate was THROTTLED and retried.
    expect(fake.throttled.map((t) => t.requestedQueryCost)).toContain(33);
    const throttledBefore = fake.throttled.length;
    const res2 = await sf.push({ jobId: 'k', sku: 'BKT-1', theme: 'summer', images: images('k', 'BKT-1', 3) }, providerContext());
    expect(res2.mediaIds).toHaveLength(3);
    expect(product.media).toHaveLength(9);
    // Now the costs are known: the storefront paces itself from the cost reports instead of being throttled.
    expect(fake.throttled.length).toBe(throttledBefore);
  });

  it('turns HTTP 429 into RATE_LIMITED honouring Retry-After in seconds', async () => {
    fake.addProduct({ sku: '429-1', title: 'Busy' });
    fake.failNext(429, { 'retry-after': '2' });
    const err = await rejection(
      storefront({ maxThrottleWaitMs: 0 }).push({ jobId: 'j', sku: '429-1', theme: 'summer', images: images('j', '429-1', 1) }, providerContext()),
    );
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(2000);
  });

  it('turns HTTP 429 with a cost report into the computed wait', async () => {
    fake.addProduct({ sku: '429-2', title: 'Busy' });
    const body = JSON.stringify({
      errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
      extensions: {
        cost: { requestedQueryCost: 3, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 100 } },
      },
    });
    fake.failNext(429, { 'retry-after': '1000' }, body);
    const err = await rejection(
      storefront({ maxThrottleWaitMs: 0 }).push({ jobId: 'j', sku: '429-2', theme: 'summer', images: images('j', '429-2', 1) }, providerContext()),
    );
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(30);
  });

  it('maps 5xx to a retryable STOREFRONT_FAILED and a bad token to a non-retryable one', async () => {
    fake.addProduct({ sku: 'ERR-1', title: 'Errors' });
    const req = { jobId: 'j', sku: 'ERR-1', theme: 'summer', images: images('j', 'ERR-1', 1) };
    fake.failNext(503);
    const e503 = await rejection(storefront().push(req, providerContext()));
    expect(e503).toMatchObject({ code: 'STOREFRONT_FAILED', retryable: true });
    const e401 = await rejection(storefront({ accessToken: 'shpat_wrong' }).push(req, providerContext()));
    expect(e401).toMatchObject({ code: 'STOREFRONT_FAILED', retryable: false });
    expect(e401.message).toContain('HTTP 401');
  });

  it('maps an unreachable store to a retryable STOREFRONT_FAILED', async () => {
    const port = Number(fake.storeDomain.split(':')[1]);
    await fake.close();
    const err = await rejection(
      createShopifyStorefront({
        storeDomain: `127.0.0.1:${port}`,
        accessToken: 'shpat_x',
        customFetchApi: (url, init) => fetch(url.replace(/^https:/, 'http:'), init),
      }).push({ jobId: 'j', sku: 'X', theme: 'summer', images: images('j', 'X', 1) }, providerContext()),
    );
    expect(err).toMatchObject({ code: 'STOREFRONT_FAILED', retryable: true });
    fake = await startFakeShopify(); // for afterEach
  });
});

describe('options and request validation', () => {
  it('rejects bad options with INVALID_INPUT naming the field', () => {
    const base = { storeDomain: 'shop.myshopify.com', accessToken: 'shpat_x' };
    const field = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        expect(JobkitError.is(err, 'INVALID_INPUT')).toBe(true);
        return (err as JobkitError).details?.field;
      }
      throw new Error('expected INVALID_INPUT');
    };
    expect(field(() => createShopifyStorefront({ ...base, accessToken: '' }))).toBe('accessToken');
    expect(field(() => createShopifyStorefront({ ...base, storeDomain: ' ' }))).toBe('storeDomain');
    expect(field(() => createShopifyStorefront({ ...base, apiVersion: '2026-02' }))).toBe('apiVersion');
    expect(field(() => createShopifyStorefront({ ...base, mediaPageSize: 251 }))).toBe('mediaPageSize');
    expect(field(() => createShopifyStorefront({ ...base, stagedUploadMethod: 'PATCH' as 'PUT' }))).toBe('stagedUploadMethod');
  });

  it("routes the client's unsupported-version notice to the logger instead of the console", () => {
    const logger = recordingLogger();
    createShopifyStorefront({ storeDomain: 'shop.myshopify.com', accessToken: 'shpat_x', apiVersion: '2023-01', logger });
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ notice: 'Unsupported_Api_Version', storefront: 'shopify' }) }),
    ]);
  });

  it('rejects duplicate markers and non-image sources before calling Shopify', async () => {
    fake.addProduct({ sku: 'VAL-1', title: 'Validate' });
    const [a] = images('j', 'VAL-1', 1);
    const dup = await rejection(storefront().push({ jobId: 'j', sku: 'VAL-1', theme: 'summer', images: [a!, a!] }, providerContext()));
    expect(dup).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'images.1.marker' } });
    const txt = { ...a!, source: imageSource('k.txt', Buffer.from('x'), { contentType: 'text/plain' }) };
    const bad = await rejection(storefront().push({ jobId: 'j', sku: 'VAL-1', theme: 'summer', images: [txt] }, providerContext()));
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'images.0.source.contentType' } });
    expect(fake.calls).toHaveLength(0);
  });

  it('returns no ids for no images without calling Shopify', async () => {
    const res = await storefront().push({ jobId: 'j', sku: 'NONE', theme: 'summer', images: [] }, providerContext());
    expect(res).toEqual({ mediaIds: [], costUsd: 0 });
    expect(fake.calls).toHaveLength(0);
  });
});
