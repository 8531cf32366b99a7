/**
 * All the sharp providers, sharing one theme registry and one image pool (worker threads + pixel budget).
 * The result spreads into createWorker: `createWorker({ service, objects, storefront, ...createSharpProviders() })`
 * (segmenter, backgrounds, compositor and qualityGate).
 */
import { BUILTIN_THEMES, createThemeRegistry, type BackgroundGenerator, type Compositor, type QualityGate, type Segmenter, type ThemeRegistry } from 'jobkit';
import { createSharpBackgroundGenerator, type SharpBackgroundGeneratorOptions } from './background/generator.js';
import { createSharpCompositor, type SharpCompositorOptions } from './composite/compositor.js';
import { createSharpQualityGate } from './gate/sharp-quality-gate.js';
import { createImagePool, sharedImagePool, type ImagePool } from './pool/image-pool.js';
import { createStudioSegmenter, type StudioSegmenterOptions } from './segment/studio-segmenter.js';

export interface SharpProvidersOptions {
  themes?: ThemeRegistry;
  segmenter?: StudioSegmenterOptions;
  backgrounds?: Omit<SharpBackgroundGeneratorOptions, 'themes' | 'pool'>;
  compositor?: Omit<SharpCompositorOptions, 'themes' | 'pool'>;
  /**
   * The image pool every provider runs on. Default: the process-wide sharedImagePool() (threads = cores,
   * 24 MP budget), or a pool of its own when `threads` or `maxPixels` is given.
   */
  pool?: ImagePool;
  /** Worker threads of a pool of its own. */
  threads?: number;
  /** Pixel budget of a pool of its own: decoded pixels in flight across all providers. */
  maxPixels?: number;
}

export interface SharpProviders {
  segmenter: Segmenter;
  backgrounds: BackgroundGenerator;
  /** @deprecated The same generator as `backgrounds` (the name createWorker takes). */
  backgroundGenerator: BackgroundGenerator;
  compositor: Compositor;
  /** Scores cutouts that come without a quality of their own (a hosted segmenter's, e.g. in a segmenter chain). */
  qualityGate: QualityGate;
  themes: ThemeRegistry;
  pool: ImagePool;
}

export function createSharpProviders(options: SharpProvidersOptions = {}): SharpProviders {
  const themes = options.themes ?? createThemeRegistry(BUILTIN_THEMES);
  const ownPool = options.threads !== undefined || options.maxPixels !== undefined;
  const pool =
    options.pool ??
    (ownPool
      ? createImagePool({
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
          ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
        })
      : sharedImagePool());
  const backgrounds = createSharpBackgroundGenerator({ ...options.backgrounds, themes, pool });
  return {
    segmenter: createStudioSegmenter({ ...options.segmenter, pool }),
    backgrounds,
    backgroundGenerator: backgrounds,
    compositor: createSharpCompositor({ ...options.compositor, themes, pool }),
    qualityGate: createSharpQualityGate({ pool }),
    themes,
    pool,
  };
}
