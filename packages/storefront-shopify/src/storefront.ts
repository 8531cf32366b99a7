/**
 * Storefront on the Shopify Admin GraphQL API: finds the product by SKU, uploads each image through a
 * staged upload, attaches it with productUpdate, and waits until Shopify has processed it. Every media item
 * carries its marker in the alt text, so a re-run (after a crash, a timeout, a lost response) finds the
 * items it already created instead of adding them again.
 */
import { createAdminApiClient } from '@shopify/admin-api-client';
import {
  JobkitError,
  invalidInput,
  silentLogger,
  type ProviderContext,
  type Storefront,
  type StorefrontImage,
  type StorefrontPushRequest,
  type StorefrontPushResult,
} from 'jobkit';
import { createAdminTransport, type CallContext, type ShopifyGraphQLClient } from './admin-transport.js';
import { altHasMarker, buildAltText, renderAltTemplate, MAX_ALT_LENGTH } from './alt-text.js';
import { CostBucket } from './cost-bucket.js';
import {
  ATTACH_MEDIA,
  DELETE_FILES,
  MEDIA_STATUS,
  PRODUCT_BY_SKU,
  PRODUCT_MEDIA,
  STAGED_UPLOADS_CREATE,
  type AttachMediaData,
  type CreateMediaInput,
  type DeleteFilesData,
  type MediaNode,
  type MediaStatusData,
  type ProductBySkuData,
  type ProductMediaData,
  type StagedUploadInput,
  type StagedUploadsCreateData,
} from './operations.js';
import { DEFAULT_API_VERSION, resolveOptions, type ShopifyStorefrontOptions } from './options.js';
import { createMemoryProductIdCache } from './product-cache.js';
import { skuSearchQuery } from './search-query.js';
import { abortableDelay, cancelled } from './cancelled.js';
import { uploadToStagedTarget } from './staged-upload.js';
import { mediaFailedError, throwOnUserErrors } from './user-errors.js';

const MEDIA_IMAGE_GID = 'gid://shopify/MediaImage/';
/** Staged uploads run this many at a time per push. */
const UPLOAD_CONCURRENCY = 3;
/** Shopify allows 250 media per product; this bounds the listing should an API keep saying "next page". */
const MAX_MEDIA_PAGES = 100;
/** SKU search candidates per page (query cost ≈ 2 per candidate) and pages read at most. */
const SKU_PAGE_SIZE = 25;
const MAX_SKU_PAGES = 10;

export interface ShopifyStorefront extends Storefront {
  readonly name: string;
  /** The Admin API version in use (undefined with an injected client). */
  readonly apiVersion: string | undefined;
}

interface ProductMedia {
  id: string;
  title: string;
  media: MediaNode[];
}

export function createShopifyStorefront(options: ShopifyStorefrontOptions): ShopifyStorefront {
  const opts = resolveOptions(options);
  const clientLogger = (options.logger ?? silentLogger).child({ storefront: 'shopify' });
  let apiVersion: string | undefined;
  let client: ShopifyGraphQLClient;
  if (options.client !== undefined) {
    client = options.client;
    // An AdminApiClient exposes its version in `config`.
    apiVersion = options.apiVersion ?? ((options.client as { config?: { apiVersion?: unknown } }).config?.apiVersion as string | undefined);
  } else {
    apiVersion = options.apiVersion?.trim() ?? DEFAULT_API_VERSION;
    try {
      client = createAdminApiClient({
        storeDomain: options.storeDomain.trim(),
        accessToken: options.accessToken.trim(),
        apiVersion,
        retries: 0,
        ...(options.customFetchApi ? { customFetchApi: options.customFetchApi } : {}),
        ...(options.userAgentPrefix ? { userAgentPrefix: options.userAgentPrefix } : {}),
        // Routes the client's notices to our logger instead of console.warn.
        logger: (log) => {
          if (log.type === 'Unsupported_Api_Version' || log.type === 'HTTP-Response-GraphQL-Deprecation-Notice') {
            clientLogger.warn({ notice: log.type, content: summarize(log.content) }, 'shopify: client notice');
          }
        },
      });
    } catch (err) {
      throw invalidInput('storeDomain', (err as Error).message);
    }
  }

  const cache = options.cache ?? createMemoryProductIdCache(opts.productCacheSize);
  const call = createAdminTransport({
    client,
    bucket: new CostBucket(),
    maxThrottleWaitMs: opts.maxThrottleWaitMs,
    maxThrottleRetries: opts.maxThrottleRetries,
  });
  const uploadFetch = options.uploadFetch ?? ((url: string, init: RequestInit) => fetch(url, init));

  /**
   * The product whose variant has exactly this SKU. Shopify's search is tokenised and case-insensitive and
   * sorts by id, so candidates are read a page at a time and the exact SKU picked. Variants of one product
   * may share a SKU; the same SKU on two products is refused (which product the images belong to is a
   * decision for the merchant, not for us).
   */
  async function lookupProductId(sku: string, cx: CallContext): Promise<string> {
    const products = new Map<string, string>(); // id → title, in the order found
    let after: string | null = null;
    let truncated = false;
    for (let pages = 1; ; pages++) {
      const data: ProductBySkuData = await call<ProductBySkuData>(
        'productBySku',
        PRODUCT_BY_SKU,
        { query: skuSearchQuery(sku), first: SKU_PAGE_SIZE, after },
        cx,
      );
      const connection = data.productVariants;
      for (const variant of connection?.nodes ?? []) {
        if (variant.sku === sku) products.set(variant.product.id, variant.product.title);
      }
      if (!connection?.pageInfo.hasNextPage || !connection.pageInfo.endCursor) break;
      if (pages >= MAX_SKU_PAGES) {
        truncated = true;
        break;
      }
      after = connection.pageInfo.endCursor;
    }
    if (products.size > 1) {
      const list = [...products].map(([id, title]) => `${id} (${JSON.stringify(title)})`).join(', ');
      throw new JobkitError(
        'STOREFRONT_FAILED',
        `SKU ${sku} is used by ${products.size} products: ${list}; make it unique in Shopify so the images go to one product`,
        {
          retryable: false,
          details: { sku, productIds: [...products.keys()] },
        },
      );
    }
    const [productId] = [...products.keys()];
    if (productId === undefined) {
      const searched = truncated ? ` (searched the first ${SKU_PAGE_SIZE * MAX_SKU_PAGES} variants matching it)` : '';
      throw new JobkitError('STOREFRONT_FAILED', `no product with SKU ${sku} in the Shopify store${searched}`, {
        retryable: false,
        details: { sku },
      });
    }
    if (truncated) cx.logger.warn({ sku, productId }, 'shopify: more variants match the SKU search than were read; using the exact match found');
    await cache.set(sku, productId);
    return productId;
  }

  /** All media of the product (every page), or null when the product does not exist. */
  async function listProductMedia(productId: string, cx: CallContext): Promise<ProductMedia | null> {
    const media: MediaNode[] = [];
    let after: string | null = null;
    let title = '';
    for (let pages = 1; ; pages++) {
      const data: ProductMediaData = await call<ProductMediaData>('productMedia', PRODUCT_MEDIA, { id: productId, first: opts.mediaPageSize, after }, cx);
      if (!data.product) return null;
      title = data.product.title;
      media.push(...data.product.media.nodes);
      const page = data.product.media.pageInfo;
      if (!page.hasNextPage || !page.endCursor) break;
      if (pages >= MAX_MEDIA_PAGES) {
        throw new JobkitError('STOREFRONT_FAILED', `Shopify listed more than ${MAX_MEDIA_PAGES} pages of media for ${productId}`, {
          retryable: false,
          details: { productId },
        });
      }
      after = page.endCursor;
    }
    return { id: productId, title, media };
  }

  async function resolveProduct(sku: string, cx: CallContext): Promise<ProductMedia> {
    const cached = await cache.get(sku);
    let product = await listProductMedia(cached ?? (await lookupProductId(sku, cx)), cx);
    if (!product && cached !== undefined) {
      // The cached product was deleted (or the SKU moved): forget it and search again.
      cx.logger.info({ sku, productId: cached }, 'shopify: cached product is gone, looking the SKU up again');
      await cache.delete?.(sku);
      product = await listProductMedia(await lookupProductId(sku, cx), cx);
    }
    if (!product) {
      throw new JobkitError('STOREFRONT_FAILED', `no product with SKU ${sku} in the Shopify store`, {
        retryable: false,
        details: { sku },
      });
    }
    return product;
  }

  /**
   * Deletes media items this storefront created (they carry a marker of this push) that Shopify marked
   * FAILED: a new upload replaces them, and left alone they would stay on the product for good. Runs before
   * the new upload, so a crash in between only leaves a later run less to do. Housekeeping: without the
   * write_files scope, or when an item is already gone, it logs and the push goes on.
   */
  async function deleteFailedMedia(productId: string, failed: MediaNode[], cx: CallContext): Promise<void> {
    const ids = failed.map((m) => m.id);
    let data: DeleteFilesData;
    try {
      data = await call<DeleteFilesData>('fileDelete', DELETE_FILES, { ids }, cx);
    } catch (err) {
      const denied = JobkitError.is(err) && (err.details?.graphQLErrors as Array<{ code?: string }> | undefined)?.some((e) => e.code === 'ACCESS_DENIED');
      if (!denied) throw err;
      cx.logger.warn({ productId, mediaIds: ids }, 'shopify: cannot delete FAILED media without the write_files scope; it stays on the product');
      return;
    }
    const userErrors = data.fileDelete?.userErrors ?? [];
    if (userErrors.length > 0) {
      cx.logger.warn({ productId, mediaIds: ids, userErrors }, 'shopify: could not delete FAILED media (already gone?)');
      return;
    }
    cx.logger.info({ productId, mediaIds: data.fileDelete?.deletedFileIds ?? ids }, 'shopify: deleted media that Shopify could not process');
  }

  /** The usable media item carrying `marker`; FAILED ones are ignored (a new upload replaces them). */
  function findByMarker(media: MediaNode[], marker: string): MediaNode | undefined {
    return media.find((m) => m.mediaContentType === 'IMAGE' && m.status !== 'FAILED' && altHasMarker(m.alt, marker));
  }

  async function originalSources(images: StorefrontImage[], cx: CallContext): Promise<string[]> {
    const sources = new Array<string | undefined>(images.length);
    if (opts.usePublicUrl) {
      for (const [i, img] of images.entries()) {
        const url = await img.source.publicUrl(opts.publicUrlExpiresInSec);
        if (url) sources[i] = url;
      }
    }
    const staged = images.flatMap((img, i) => (sources[i] === undefined ? [{ img, i }] : []));
    if (staged.length > 0) {
      const files = await Promise.all(
        staged.map(async ({ img }) => {
          const bytes = await img.source.bytes();
          return { bytes, filename: uploadFilename(img), contentType: img.source.contentType };
        }),
      );
      const input: StagedUploadInput[] = files.map((f) => ({
        resource: 'IMAGE',
        filename: f.filename,
        mimeType: f.contentType,
        httpMethod: opts.stagedUploadMethod,
        fileSize: String(f.bytes.length),
      }));
      const data = await call<StagedUploadsCreateData>('stagedUploadsCreate', STAGED_UPLOADS_CREATE, { input }, cx);
      throwOnUserErrors('stagedUploadsCreate', data.stagedUploadsCreate);
      const targets = data.stagedUploadsCreate?.stagedTargets ?? [];
      if (targets.length !== input.length) {
        throw new JobkitError('STOREFRONT_FAILED', `Shopify stagedUploadsCreate returned ${targets.length} targets for ${input.length} files`);
      }
      await mapLimit(staged, UPLOAD_CONCURRENCY, async ({ i }, k) => {
        await uploadToStagedTarget(targets[k]!, opts.stagedUploadMethod, files[k]!, { fetch: uploadFetch, signal: cx.signal });
        sources[i] = targets[k]!.resourceUrl;
      });
    }
    return sources.map((s) => s!);
  }

  /** Waits until every id is READY; FAILED → non-retryable error with Shopify's mediaErrors. */
  async function waitUntilReady(pending: Map<string, string>, cx: CallContext): Promise<void> {
    const deadline = performance.now() + opts.pollTimeoutMs;
    let delay = opts.pollIntervalMs;
    while (pending.size > 0) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new JobkitError('PROVIDER_TIMEOUT', `Shopify is still processing ${pending.size} media item(s)`, {
          details: { mediaIds: [...pending.keys()] },
        });
      }
      await abortableDelay(Math.min(delay, remaining), cx.signal);
      delay = Math.min(opts.pollMaxIntervalMs, Math.round(delay * 1.5));
      const data = await call<MediaStatusData>('mediaStatus', MEDIA_STATUS, { ids: [...pending.keys()] }, cx);
      for (const [i, id] of [...pending.keys()].entries()) {
        const node = data.nodes?.[i];
        if (!node || !('status' in node)) {
          throw new JobkitError('STOREFRONT_FAILED', `Shopify media ${id} disappeared while processing`, {
            retryable: true,
            details: { mediaId: id },
          });
        }
        if (node.status === 'READY') pending.delete(id);
        else if (node.status === 'FAILED') throw mediaFailedError(id, pending.get(id)!, node.mediaErrors ?? []);
      }
      cx.logger.debug({ pending: pending.size }, 'shopify: media processing');
    }
  }

  async function push(req: StorefrontPushRequest, ctx: ProviderContext): Promise<StorefrontPushResult> {
    validateRequest(req, opts.usePublicUrl);
    const cx: CallContext = { signal: ctx.signal, logger: ctx.logger.child({ storefront: 'shopify', sku: req.sku }) };
    if (ctx.signal.aborted) throw cancelled(ctx.signal);
    if (req.images.length === 0) return { mediaIds: [], costUsd: 0 };

    const product = await resolveProduct(req.sku, cx);
    const found = req.images.map((img) => findByMarker(product.media, img.marker));
    const failed = product.media.filter((m) => m.status === 'FAILED' && req.images.some((img) => altHasMarker(m.alt, img.marker)));
    if (failed.length > 0) await deleteFailedMedia(product.id, failed, cx);
    const missing = req.images.flatMap((img, i) => (found[i] ? [] : [{ img, i }]));
    cx.logger.debug({ productId: product.id, existing: req.images.length - missing.length, missing: missing.length }, 'shopify: push');

    if (missing.length > 0) {
      const sources = await originalSources(
        missing.map((m) => m.img),
        cx,
      );
      const media: CreateMediaInput[] = missing.map(({ img }, k) => ({
        originalSource: sources[k]!,
        alt: buildAltText(
          renderAltTemplate(opts.altTemplate, {
            title: product.title,
            theme: req.theme,
            sku: req.sku,
            aspect: img.aspect,
            variant: img.variant,
          }),
          img.marker,
          MAX_ALT_LENGTH,
        ),
        mediaContentType: 'IMAGE',
      }));
      // From here on a crash is harmless: the next run finds these items by their marker.
      const data = await call<AttachMediaData>(
        'productUpdate',
        ATTACH_MEDIA,
        { product: { id: product.id }, media, last: Math.min(250, missing.length + 20) },
        cx,
      );
      throwOnUserErrors('productUpdate', data.productUpdate);
      let attached = data.productUpdate?.product?.media.nodes ?? [];
      if (missing.some(({ img }) => !findByMarker(attached, img.marker))) {
        // Someone else added media at the same moment and pushed ours out of the `last` window.
        attached = (await listProductMedia(product.id, cx))?.media ?? [];
      }
      for (const { img, i } of missing) {
        const node = findByMarker(attached, img.marker);
        if (!node) {
          throw new JobkitError('STOREFRONT_FAILED', `Shopify accepted media ${img.marker} but does not list it`, {
            retryable: true,
            details: { marker: img.marker, productId: product.id },
          });
        }
        found[i] = node;
      }
    }

    const nodes = found.map((n) => n!);
    for (const n of nodes) {
      if (!n.id.startsWith(MEDIA_IMAGE_GID)) {
        throw new JobkitError('STOREFRONT_FAILED', `Shopify returned ${n.id}, not a MediaImage id`, { retryable: false });
      }
    }
    // Existing items still UPLOADED/PROCESSING (e.g. from a run that crashed) are simply waited for.
    const pending = new Map(nodes.flatMap((n, i) => (n.status === 'READY' ? [] : [[n.id, req.images[i]!.marker] as [string, string]])));
    await waitUntilReady(pending, cx);
    cx.logger.info({ productId: product.id, mediaIds: nodes.map((n) => n.id), uploaded: missing.length }, 'shopify: pushed');
    return { mediaIds: nodes.map((n) => n.id), costUsd: 0 };
  }

  return { name: opts.name, apiVersion, push };
}

function validateRequest(req: StorefrontPushRequest, usePublicUrl: boolean): void {
  if (typeof req !== 'object' || req === null) throw invalidInput('request', 'must be an object');
  if (typeof req.sku !== 'string' || req.sku.trim() === '') throw invalidInput('sku', 'must be a non-empty string');
  if (typeof req.theme !== 'string') throw invalidInput('theme', 'must be a string');
  if (!Array.isArray(req.images)) throw invalidInput('images', 'must be an array');
  const markers = new Set<string>();
  for (const [i, img] of req.images.entries()) {
    const field = `images.${i}`;
    if (typeof img.marker !== 'string' || img.marker === '' || /[[\]]/.test(img.marker)) {
      throw invalidInput(`${field}.marker`, 'must be a non-empty string without brackets');
    }
    if (img.marker.length + 2 > MAX_ALT_LENGTH) throw invalidInput(`${field}.marker`, 'is too long for alt text');
    if (markers.has(img.marker)) throw invalidInput(`${field}.marker`, 'is used by two images');
    markers.add(img.marker);
    if (typeof img.source?.bytes !== 'function' || (usePublicUrl && typeof img.source.publicUrl !== 'function')) {
      throw invalidInput(`${field}.source`, 'must be an ImageSource');
    }
    if (typeof img.source.contentType !== 'string' || !img.source.contentType.startsWith('image/')) {
      throw invalidInput(`${field}.source.contentType`, 'must be an image/* type');
    }
  }
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' };

/** The key's file name (safe characters only), with an extension matching the content type. */
function uploadFilename(img: StorefrontImage): string {
  const base = (img.key.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]/g, '_') || `image_${img.aspect}_${img.variant}`;
  if (/\.[A-Za-z0-9]{2,5}$/.test(base)) return base;
  return `${base}.${EXTENSIONS[img.source.contentType] ?? 'jpg'}`;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      await fn(items[k]!, k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function summarize(content: unknown): unknown {
  if (typeof content !== 'object' || content === null) return content;
  const { apiVersion, supportedApiVersions, deprecationNotice } = content as Record<string, unknown>;
  return { apiVersion, supportedApiVersions, deprecationNotice };
}
