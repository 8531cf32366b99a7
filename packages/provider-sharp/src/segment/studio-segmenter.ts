/**
 * The studio segmenter as a jobkit Segmenter: reads the original, decodes it once, runs the pixel
 * algorithm (segment-pixels.ts) and encodes the RGBA cutout as PNG. Cost 0, no network.
 */
import sharp from 'sharp';
import { JobkitError, type ProviderContext, type SegmentRequest, type SegmentResult, type Segmenter } from 'jobkit';
import { throwIfAborted } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { resolveSegmenterOptions, type StudioSegmenterOptions } from './options.js';
import { segmentPixels, type Cutout } from './segment-pixels.js';

export type { StudioSegmenterOptions } from './options.js';
export type { Cutout, SegmentationStats } from './segment-pixels.js';

/** Decodes and segments a photo; the RGBA result's alpha is the mask. */
export async function segmentPhoto(bytes: Buffer, options: StudioSegmenterOptions = {}): Promise<Cutout> {
  const opts = resolveSegmenterOptions(options);
  const img = await decodeImage(bytes, { field: 'original', maxPixels: opts.maxPixels });
  return segmentPixels(img, opts);
}

export async function encodeCutout(c: Cutout, compressionLevel = 6): Promise<Buffer> {
  return sharp(c.rgba, { raw: { width: c.width, height: c.height, channels: 4 } })
    .png({ compressionLevel, adaptiveFiltering: false })
    .toBuffer();
}

export function createStudioSegmenter(options: StudioSegmenterOptions = {}): Segmenter {
  const opts = resolveSegmenterOptions(options);
  return {
    name: 'sharp-studio',
    async segment(req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult> {
      throwIfAborted(ctx.signal);
      const bytes = await req.original.bytes();
      try {
        const img = await decodeImage(bytes, { field: 'original', maxPixels: opts.maxPixels });
        throwIfAborted(ctx.signal);
        const cut = segmentPixels(img, opts);
        const cutout = await encodeCutout(cut, opts.pngCompressionLevel);
        ctx.logger.debug({ sku: req.sku, ...cut.stats }, 'studio segmentation done');
        return { cutout, costUsd: 0 };
      } catch (err) {
        // Anything unexpected (e.g. out of memory) stays retryable: the same bytes may succeed later.
        throw JobkitError.from(err, 'SEGMENT_FAILED', 'studio segmentation failed');
      }
    },
  };
}
