/** All three sharp providers sharing one theme registry. */
import { BUILTIN_THEMES, createThemeRegistry, type BackgroundGenerator, type Compositor, type Segmenter, type ThemeRegistry } from 'jobkit';
import { createSharpBackgroundGenerator, type SharpBackgroundGeneratorOptions } from './background/generator.js';
import { createSharpCompositor, type SharpCompositorOptions } from './composite/compositor.js';
import { createStudioSegmenter, type StudioSegmenterOptions } from './segment/studio-segmenter.js';

export interface SharpProvidersOptions {
  themes?: ThemeRegistry;
  segmenter?: StudioSegmenterOptions;
  backgrounds?: Omit<SharpBackgroundGeneratorOptions, 'themes'>;
  compositor?: Omit<SharpCompositorOptions, 'themes'>;
}

export interface SharpProviders {
  segmenter: Segmenter;
  backgroundGenerator: BackgroundGenerator;
  compositor: Compositor;
  themes: ThemeRegistry;
}

export function createSharpProviders(options: SharpProvidersOptions = {}): SharpProviders {
  const themes = options.themes ?? createThemeRegistry(BUILTIN_THEMES);
  return {
    segmenter: createStudioSegmenter(options.segmenter),
    backgroundGenerator: createSharpBackgroundGenerator({ ...options.backgrounds, themes }),
    compositor: createSharpCompositor({ ...options.compositor, themes }),
    themes,
  };
}
