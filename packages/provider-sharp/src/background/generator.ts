/**
 * BackgroundGenerator that renders the core theme recipes locally: cost 0, deterministic, JPEG out.
 *
 * Rendering is a pixel loop, so it runs on an image-pool thread. Because a background depends only on
 * (theme, size, variant, quality), every job of a theme needs the same bytes: the encoded JPEGs are kept in
 * a small cache (bounded in bytes) and a theme's backgrounds are rendered once per process, not per photo.
 */
import {
  BUILTIN_THEMES,
  createThemeRegistry,
  type BackgroundGenerator,
  type BackgroundRequest,
  type BackgroundResult,
  type ProviderContext,
  type Theme,
  type ThemeRegistry,
} from 'jobkit';
import sharp from 'sharp';
import { backgroundFailed, requireInt, throwIfAborted } from '../errors.js';
import { sharedImagePool, type ImagePool } from '../pool/image-pool.js';
import { asBuffer, transferable } from '../pool/wire.js';
import { renderBackground } from './render.js';

export interface SharpBackgroundGeneratorOptions {
  /** Themes to render. Default: a registry of the core's BUILTIN_THEMES. */
  themes?: ThemeRegistry;
  /** JPEG quality 1..100. Default 92. */
  quality?: number;
  /** Largest width / height accepted. Default 8192. */
  maxSide?: number;
  /** Bytes of encoded backgrounds kept for reuse (0 disables). Default 32 MiB (a default background is ~0.2–1 MB). */
  cacheBytes?: number;
  /** Worker threads and pixel budget to run on. Default: the process-wide sharedImagePool(). */
  pool?: ImagePool;
}

export interface BackgroundTaskInput {
  theme: Theme;
  width: number;
  height: number;
  variants: number[];
  quality: number;
}

/** Runs on an image-pool thread: renders and encodes each variant (one raw canvas alive at a time). */
export async function runBackgroundTask(input: BackgroundTaskInput): Promise<{ value: Uint8Array[]; transfer: ArrayBuffer[] }> {
  const { theme, width, height, quality } = input;
  const out: Uint8Array[] = [];
  for (const variant of input.variants) {
    const raw = renderBackground(theme, width, height, variant);
    try {
      const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } })
        .jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:4:4' })
        .toBuffer();
      out.push(transferable(jpeg));
    } catch (err) {
      throw backgroundFailed(`encoding background ${variant} of theme ${theme.name} failed: ${(err as Error).message}`, err);
    }
  }
  return { value: out, transfer: out.map((b) => b.buffer as ArrayBuffer) };
}

export function createSharpBackgroundGenerator(options: SharpBackgroundGeneratorOptions = {}): BackgroundGenerator {
  const themes = options.themes ?? createThemeRegistry(BUILTIN_THEMES);
  const quality = requireInt(options.quality ?? 92, 'quality', 1, 100);
  const maxSide = requireInt(options.maxSide ?? 8192, 'maxSide', 16, 16384);
  const cache = createByteCache(requireInt(options.cacheBytes ?? 32 * 1024 * 1024, 'cacheBytes', 0, 2 ** 40));
  return {
    name: 'sharp-themes',
    async generate(req: BackgroundRequest, ctx: ProviderContext): Promise<BackgroundResult> {
      const theme = themes.get(req.theme); // INVALID_INPUT listing the known themes
      const count = requireInt(req.count, 'count', 1, 99);
      const width = requireInt(req.width, 'width', 16, maxSide);
      const height = requireInt(req.height, 'height', 16, maxSide);
      throwIfAborted(ctx.signal);
      // The theme's content, not only its name, keys the cache: a re-registered theme renders anew.
      const keyOf = (variant: number): string => `${JSON.stringify(theme)}|${width}x${height}|${variant}|q${quality}`;
      const variants = Array.from({ length: count }, (_, i) => i + 1);
      const found = new Map<number, Buffer>();
      for (const v of variants) {
        const hit = cache.get(keyOf(v));
        if (hit) found.set(v, hit);
      }
      const missing = variants.filter((v) => !found.has(v));
      if (missing.length > 0) {
        const rendered = await (options.pool ?? sharedImagePool()).run<Uint8Array[]>(
          { kind: 'background', input: { theme, width, height, variants: missing, quality } satisfies BackgroundTaskInput },
          { pixels: width * height, signal: ctx.signal, errorCode: 'BACKGROUND_FAILED', what: `rendering theme ${theme.name}` },
        );
        missing.forEach((v, i) => {
          const jpeg = asBuffer(rendered[i]!);
          found.set(v, jpeg);
          cache.set(keyOf(v), jpeg);
        });
      }
      // Copies: a caller may keep or change its buffers without touching the cache.
      const backgrounds = variants.map((v) => Buffer.from(found.get(v)!));
      ctx.logger.debug({ theme: theme.name, count, width, height, rendered: missing.length }, 'backgrounds ready');
      return { backgrounds, costUsd: 0 };
    },
  };
}

interface ByteCache {
  get(key: string): Buffer | undefined;
  set(key: string, value: Buffer): void;
}

/** Least-recently-used map bounded by the total bytes of its values. */
function createByteCache(maxBytes: number): ByteCache {
  const map = new Map<string, Buffer>();
  let bytes = 0;
  return {
    get(key) {
      const v = map.get(key);
      if (v) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    set(key, value) {
      if (value.length > maxBytes) return;
      const old = map.get(key);
      if (old) {
        bytes -= old.length;
        map.delete(key);
      }
      map.set(key, value);
      bytes += value.length;
      for (const [k, v] of map) {
        if (bytes <= maxBytes) break;
        map.delete(k);
        bytes -= v.length;
      }
    },
  };
}
