// @jobkit/provider-sharp: local imaging for jobkit (studio segmenter, theme backgrounds, compositor).
export {
  createStudioSegmenter,
  segmentPhoto,
  encodeCutout,
  DEFAULT_CUTOUT_PNG_LEVEL,
  type StudioSegmenterOptions,
  type StudioSegmenterRuntime,
  type Cutout,
  type SegmentationStats,
} from './segment/studio-segmenter.js';
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
export { decodeImage, inspectImage, flattenRgba, DEFAULT_MAX_PIXELS, type DecodedImage, type DecodeOptions, type ImageInfo } from './image/decode.js';
export { rgbToLab, deltaE } from './color/lab.js';
export { assessCutout, type SegmenterEvidence } from './quality/assess-cutout.js';
export { createPixelBudget, DEFAULT_PIXEL_BUDGET, type PixelBudget, type PixelBudgetOptions, type PixelBudgetStats } from './budget/pixel-budget.js';
export { createImagePool, sharedImagePool, type ImagePool, type ImagePoolOptions, type ImagePoolStats } from './pool/image-pool.js';
export { createSharpQualityGate, type SharpQualityGateOptions } from './gate/sharp-quality-gate.js';
export { createSharpProviders, type SharpProvidersOptions, type SharpProviders } from './providers.js';
