/** Both providers on one Replicate account: one client, one prediction-creation limiter. */
import type { BackgroundGenerator, Segmenter, ThemeRegistry } from 'jobkit';
import { replicateBackgroundGeneratorOn, type ReplicateBackgroundGeneratorOptions } from './background-generator.js';
import { createReplicateRuntime, type ReplicateRuntimeOptions } from './runtime.js';
import { replicateSegmenterOn, type ReplicateSegmenterOptions } from './segmenter.js';

type SegmentOnly = Omit<ReplicateSegmenterOptions, keyof ReplicateRuntimeOptions>;
type BackgroundOnly = Omit<ReplicateBackgroundGeneratorOptions, keyof ReplicateRuntimeOptions>;

export interface ReplicateProvidersOptions extends ReplicateRuntimeOptions {
  segment?: SegmentOnly;
  background?: BackgroundOnly;
  /** Shorthand for background.themes. */
  themes?: ThemeRegistry;
}

export interface ReplicateProviders {
  segmenter: Segmenter;
  backgroundGenerator: BackgroundGenerator;
}

export function createReplicateProviders(opts: ReplicateProvidersOptions): ReplicateProviders {
  const rt = createReplicateRuntime(opts);
  return {
    segmenter: replicateSegmenterOn(rt, opts.segment ?? {}),
    backgroundGenerator: replicateBackgroundGeneratorOn(rt, { ...(opts.themes ? { themes: opts.themes } : {}), ...(opts.background ?? {}) }),
  };
}
