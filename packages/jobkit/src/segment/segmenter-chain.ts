/**
 * Local first, hosted when needed: the free local segmenter cuts every photo; the hosted one (e.g.
 * Replicate) runs only when the local one refuses the photo or its cut scores below `minScore`. A shop
 * pays for AI only on the photos that need it.
 */
import { JobkitError, invalidInput } from '../errors.js';
import { isPending, type ProviderContext, type SegmentRequest, type SegmentResult, type Segmenter, type PendingResult } from '../ports/providers.js';
import { DEFAULT_REVIEW_MIN_SCORE, type CutoutQuality, type QualityGate } from '../ports/quality.js';

export interface SegmenterChainOptions {
  /** A local cut scoring below this goes to the hosted segmenter (default DEFAULT_REVIEW_MIN_SCORE). */
  minScore?: number;
  /**
   * Scores cutouts that come without a quality (hosted segmenters, or a local one that does not score
   * itself). Without it an unscored local cut is kept as it is.
   */
  gate?: QualityGate;
}

export interface SegmenterChain extends Segmenter {
  readonly local: Segmenter;
  readonly hosted: Segmenter;
}

export function isSegmenterChain(segmenter: Segmenter): segmenter is SegmenterChain {
  const s = segmenter as Partial<SegmenterChain>;
  return typeof s.local?.segment === 'function' && typeof s.hosted?.segment === 'function';
}

export function createSegmenterChain(segmenters: [local: Segmenter, hosted: Segmenter], options: SegmenterChainOptions = {}): SegmenterChain {
  if (!Array.isArray(segmenters) || segmenters.length !== 2) throw invalidInput('segmenters', 'give [local, hosted]');
  const [local, hosted] = segmenters;
  for (const [name, s] of [
    ['local', local],
    ['hosted', hosted],
  ] as const) {
    if (!s || typeof s.segment !== 'function') throw invalidInput(name, 'must be a Segmenter');
  }
  const minScore = options.minScore ?? DEFAULT_REVIEW_MIN_SCORE;
  if (!(minScore >= 0 && minScore <= 1)) throw invalidInput('minScore', 'must be between 0 and 1');
  const gate = options.gate;

  async function scored(result: SegmentResult, req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult> {
    if (result.quality || !gate) return result;
    const quality = await gate.assess({ original: await req.original.bytes(), cutout: result.cutout }, { signal: ctx.signal, logger: ctx.logger });
    return { ...result, quality };
  }

  /** The hosted cut; when the local cut was merely doubtful, the better-scored of the two is kept. */
  async function runHosted(req: SegmentRequest, ctx: ProviderContext, localCut: SegmentResult | null, why: string): Promise<SegmentResult | PendingResult> {
    ctx.logger.info({ sku: req.sku, segmenter: hosted.name, why }, 'segmenting with the hosted segmenter');
    const result = await hosted.segment(req, ctx);
    if (isPending(result)) return result;
    const hostedCut = await scored(result, req, ctx);
    if (localCut?.quality && hostedCut.quality && localCut.quality.score > hostedCut.quality.score) {
      // Keep the local cut, but the hosted call was paid: its cost stays on the job.
      return {
        ...localCut,
        costUsd: localCut.costUsd + hostedCut.costUsd,
        quality: withReason(localCut.quality, `hosted-worse: ${hosted.name} scored ${hostedCut.quality.score.toFixed(2)}`),
      };
    }
    return hostedCut;
  }

  return {
    name: `${local.name}+${hosted.name}`,
    local,
    hosted,
    async segment(req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult | PendingResult> {
      // A hosted request is already on record (an earlier try, or a review asked for it): resume it, never pay twice.
      if (ctx.previousRef !== null) return runHosted(req, ctx, null, 'resuming the recorded hosted request');
      if (req.prefer === 'hosted') return runHosted(req, ctx, null, 'an operator rejected the local cut in review');
      let localCut: SegmentResult;
      try {
        const result = await local.segment(req, ctx);
        if (isPending(result)) return result;
        localCut = await scored(result, req, ctx);
      } catch (e) {
        // Retryable local trouble (out of memory, a crashed thread) is retried as is; a refusal goes hosted.
        if (JobkitError.is(e) && (e.retryable || e.code === 'INVALID_INPUT' || e.code === 'CANCELLED')) throw e;
        if (!JobkitError.is(e)) throw e;
        return runHosted(req, ctx, null, `${local.name} refused the photo: ${e.message}`);
      }
      if (!localCut.quality || localCut.quality.score >= minScore) return localCut;
      return runHosted(req, ctx, localCut, `${local.name} scored ${localCut.quality.score.toFixed(2)} < ${minScore}`);
    },
  };
}

function withReason(q: CutoutQuality, reason: string): CutoutQuality {
  return { score: q.score, reasons: [...q.reasons, reason] };
}
