// @jobkit/provider-sharp: local imaging for jobkit (studio segmenter, theme backgrounds, compositor).
export { createStudioSegmenter, segmentPhoto, encodeCutout, type StudioSegmenterOptions, type Cutout, type SegmentationStats } from './segment/studio-segmenter.js';
export { createSharpBackgroundGenerator, type SharpBackgroundGeneratorOptions } from './background/generator.js';
export { renderBackground } from './background/render.js';
export {
  createSharpCompositor,
  DEFAULT_ASPECTS,
  DEFAULT_DERIVATIVE_SIZES,
  type SharpCompositorOptions,
  type AspectSpec,
  type DerivativeSize,
  type DerivativeOptions,
} from './composite/compositor.js';
export { placeProduct, shadowGeometry, type Box } from './composite/layout.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type DecodedImage, type DecodeOptions } from './image/decode.js';
export { rgbToLab, deltaE } from './color/lab.js';
export { createSharpProviders, type SharpProvidersOptions, type SharpProviders } from './providers.js';
