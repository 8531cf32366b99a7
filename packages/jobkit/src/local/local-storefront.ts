/**
 * Storefront on a local directory: "pushes" images into {dir}/{sku}/ with a manifest.json, returns
 * stable media ids (`local:{sku}/{file}`) and is idempotent per marker: pushing the same job output twice
 * creates one media item. File names are deterministic, so even a crash between copying a file and
 * recording it in the manifest leaves one file.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { JobkitError, invalidInput } from '../errors.js';
import { SKU_PATTERN } from '../domain/validation.js';
import type { Storefront, StorefrontPushRequest, StorefrontPushResult } from '../ports/storefront.js';
import type { ProviderContext } from '../ports/providers.js';

export interface LocalStorefrontOptions {
  dir: string;
}

export interface LocalMediaItem {
  mediaId: string;
  marker: string;
  file: string;
  jobId: string;
  theme: string;
  aspect: string;
  variant: number;
  sourceKey: string;
  createdAt: string;
}

export interface LocalStorefront extends Storefront {
  readonly dir: string;
  /** The manifest of one SKU (empty when nothing was pushed). */
  list(sku: string): Promise<LocalMediaItem[]>;
}

export function createLocalStorefront(opts: LocalStorefrontOptions): LocalStorefront {
  if (!opts || typeof opts.dir !== 'string' || !opts.dir) throw invalidInput('dir', 'a directory is required');
  const root = path.resolve(opts.dir);
  const locks = new Map<string, Promise<unknown>>();

  const skuDir = (sku: string): string => {
    if (!SKU_PATTERN.test(sku) || sku.includes('..')) throw invalidInput('sku', 'invalid SKU');
    return path.join(root, sku);
  };
  const readManifest = async (sku: string): Promise<LocalMediaItem[]> => {
    try {
      return JSON.parse(await fs.readFile(path.join(skuDir(sku), 'manifest.json'), 'utf8')) as LocalMediaItem[];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new JobkitError('STOREFRONT_FAILED', `cannot read the manifest of ${sku}: ${(e as Error).message}`, { cause: e });
    }
  };
  const writeAtomic = async (file: string, data: Uint8Array | string): Promise<void> => {
    const tmp = `${file}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  };
  // One writer per SKU at a time in this process (the manifest is read-modify-write).
  const withLock = async <T>(sku: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(sku) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(sku, tail);
    try {
      return await run;
    } finally {
      if (locks.get(sku) === tail) locks.delete(sku);
    }
  };

  return {
    name: 'local',
    dir: root,
    list: readManifest,
    async push(req: StorefrontPushRequest, ctx: ProviderContext): Promise<StorefrontPushResult> {
      const dir = skuDir(req.sku);
      return withLock(req.sku, async () => {
        await fs.mkdir(dir, { recursive: true });
        const manifest = await readManifest(req.sku);
        const mediaIds: string[] = [];
        for (const image of req.images) {
          if (ctx.signal.aborted) throw new JobkitError('CANCELLED', 'push cancelled');
          const existing = manifest.find((m) => m.marker === image.marker);
          if (existing) {
            mediaIds.push(existing.mediaId);
            continue;
          }
          const file = `${req.theme}_${image.aspect}_${image.variant}_${req.jobId}.jpg`;
          await writeAtomic(path.join(dir, file), await image.source.bytes());
          const item: LocalMediaItem = {
            mediaId: `local:${req.sku}/${file}`,
            marker: image.marker,
            file,
            jobId: req.jobId,
            theme: req.theme,
            aspect: image.aspect,
            variant: image.variant,
            sourceKey: image.key,
            createdAt: ctx.clock.now().toISOString(),
          };
          manifest.push(item);
          await writeAtomic(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
          mediaIds.push(item.mediaId);
        }
        return { mediaIds, costUsd: 0 };
      });
    },
  };
}
