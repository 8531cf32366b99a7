/**
 * The studio segmenter as a jobkit Segmenter. On the calling thread it only reads the original's header
 * (size, for the pixel budget); an image-pool thread decodes it once, runs the pixel algorithm
 * (segment-pixels.ts) and encodes the RGBA cutout as PNG, which is moved back without a copy. Cost 0.
 */
import sharp from 'sharp';
import type { CutoutQuality, ProviderContext, SegmentRequest, SegmentResult, Segmenter } from 'jobkit';
import { throwIfAborted } from '../errors.js';
import { decodeImage, inspectImage } from '../image/decode.js';
import { sharedImagePool, type ImagePool } from '../pool/image-pool.js';
import { asBuffer, transferable } from '../pool/wire.js';
import { resolveSegmenterOptions, type ResolvedOptions, type StudioSegmenterOptions } from './options.js';
import { segmentPixels, type Cutout, type SegmentationStats } from './segment-pixels.js';

export type { StudioSegmenterOptions } from './options.js';
export type { Cutout, SegmentationStats } from './segment-pixels.js';

/** zlib level of the cutout PNG unless configured (chosen by measurement: bench/sharp, "cutout PNG"). */
export const DEFAULT_CUTOUT_PNG_LEVEL = 2;

export interface StudioSegmenterRuntime {
  /** Worker threads and pixel budget to run on. Default: the process-wide sharedImagePool(). */
  pool?: ImagePool;
}

/** Decodes and segments a photo on the calling thread; the RGBA result's alpha is the mask. For scripts and tests. */
export async function segmentPhoto(bytes: Buffer, options: StudioSegmenterOptions = {}): Promise<Cutout> {
  const opts = resolveSegmenterOptions(options);
  const img = await decodeImage(bytes, { field: 'original', maxPixels: opts.maxPixels });
  return segmentPixels(img, opts);
}

export async function encodeCutout(c: Cutout, compressionLevel = DEFAULT_CUTOUT_PNG_LEVEL): Promise<Buffer> {
  return sharp(c.rgba, { raw: { width: c.width, height: c.height, channels: 4 } })
    .png({ compressionLevel, adaptiveFiltering: false })
    .toBuffer();
}

export interface SegmentTaskInput {
  original: Uint8Array;
  options: ResolvedOptions;
}
export interface SegmentTaskOutput {
  cutout: Uint8Array;
  quality: CutoutQuality;
  stats: SegmentationStats & { encodeMs: number };
}

/**
 * Zeroes the colour of fully transparent pixels. It is invisible (every consumer premultiplies by alpha),
 * but left as the backdrop's noisy colour it triples the PNG: measured on a 12 MP studio photo, 15 MB and
 * 640 ms to encode + 240 ms to decode, against 5 MB, 190 ms and 90 ms once cleared.
 */
export function clearTransparent(rgba: Uint8Array): void {
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] === 0) {
      rgba[i - 3] = 0;
      rgba[i - 2] = 0;
      rgba[i - 1] = 0;
    }
  }
}

/** Runs on an image-pool thread: decode once → segment → PNG. */
export async function runSegmentTask(input: SegmentTaskInput): Promise<{ value: SegmentTaskOutput; transfer: ArrayBuffer[] }> {
  const opts = input.options;
  const img = await decodeImage(asBuffer(input.original), { field: 'original', maxPixels: opts.maxPixels });
  const cut = segmentPixels(img, opts);
  const t0 = performance.now();
  clearTransparent(cut.rgba);
  const png = transferable(await encodeCutout(cut, opts.pngCompressionLevel));
  const quality = cut.quality;
  return { value: { cutout: png, quality, stats: { ...cut.stats, encodeMs: performance.now() - t0 } }, transfer: [png.buffer as ArrayBuffer] };
}

export function createStudioSegmenter(options: StudioSegmenterOptions & StudioSegmenterRuntime = {}): Segmenter {
  const { pool: givenPool, ...rest } = options;
  const opts = resolveSegmenterOptions(rest);
  return {
    name: 'sharp-studio',
    async segment(req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult> {
      throwIfAborted(ctx.signal);
      const bytes = await req.original.bytes();
      const { pixels } = await inspectImage(bytes, { field: 'original', maxPixels: opts.maxPixels });
      const pool = givenPool ?? sharedImagePool();
      const out = await pool.run<SegmentTaskOutput>(
        { kind: 'segment', input: { original: bytes, options: opts } satisfies SegmentTaskInput },
        { pixels, signal: ctx.signal, errorCode: 'SEGMENT_FAILED', what: 'studio segmentation' },
      );
      ctx.logger.debug({ sku: req.sku, ...out.stats }, 'studio segmentation done');
      return { cutout: asBuffer(out.cutout), costUsd: 0, quality: out.quality };
    },
  };
}
