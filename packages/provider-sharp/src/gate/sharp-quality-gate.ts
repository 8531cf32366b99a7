/**
 * The jobkit QualityGate of this package: scores any segmenter's cutout (hosted ones included) against
 * its original with the studio segmenter's quality checks (quality/assess-cutout.ts). The calling thread
 * only reads the original's header; an image-pool thread decodes both images and runs the checks.
 */
import sharp from 'sharp';
import type { CutoutQuality, Logger, QualityGate, QualityInput } from 'jobkit';
import { requireInt, segmentFailed, throwIfAborted } from '../errors.js';
import { decodeImage, DEFAULT_MAX_PIXELS, inspectImage } from '../image/decode.js';
import { sharedImagePool, type ImagePool } from '../pool/image-pool.js';
import { asBuffer } from '../pool/wire.js';
import { assessCutout } from '../quality/assess-cutout.js';

export interface SharpQualityGateOptions {
  /** Refuse originals over this many pixels (INVALID_INPUT). Default 50 MP. */
  maxPixels?: number;
  /** Worker threads and pixel budget to run on. Default: the process-wide sharedImagePool(). */
  pool?: ImagePool;
}

export interface AssessTaskInput {
  original: Uint8Array;
  cutout: Uint8Array;
  maxPixels: number;
}

/** Runs on an image-pool thread: decode the original (RGB) and the cutout's alpha at the original's size. */
export async function runAssessTask(input: AssessTaskInput): Promise<{ value: CutoutQuality; transfer: ArrayBuffer[] }> {
  const img = await decodeImage(asBuffer(input.original), { field: 'original', maxPixels: input.maxPixels });
  let alpha: Buffer;
  try {
    // A hosted segmenter may answer at another size: its alpha is scaled onto the original's pixel grid.
    alpha = await sharp(asBuffer(input.cutout), { failOn: 'error', limitInputPixels: input.maxPixels })
      .ensureAlpha()
      .extractChannel(3)
      .resize(img.width, img.height, { fit: 'fill' })
      .raw()
      .toBuffer();
  } catch (err) {
    throw segmentFailed(`cutout: not a decodable image (${(err as Error).message})`);
  }
  return { value: assessCutout(img.rgb, alpha, img.width, img.height), transfer: [] };
}

export function createSharpQualityGate(options: SharpQualityGateOptions = {}): QualityGate {
  const maxPixels = requireInt(options.maxPixels ?? DEFAULT_MAX_PIXELS, 'maxPixels', 1024, 200_000_000);
  return {
    name: 'sharp-quality',
    async assess(input: QualityInput, ctx: { signal: AbortSignal; logger: Logger }): Promise<CutoutQuality> {
      throwIfAborted(ctx.signal);
      const { pixels } = await inspectImage(input.original, { field: 'original', maxPixels });
      const quality = await (options.pool ?? sharedImagePool()).run<CutoutQuality>(
        { kind: 'assess', input: { original: input.original, cutout: input.cutout, maxPixels } satisfies AssessTaskInput },
        { pixels, signal: ctx.signal, errorCode: 'SEGMENT_FAILED', what: 'cutout quality assessment' },
      );
      ctx.logger.debug({ score: quality.score, reasons: quality.reasons.length }, 'cutout assessed');
      return quality;
    },
  };
}
