/** Placement of the product on a canvas: pure math, shared by the compositor and its tests. */
import type { ThemeLayout } from 'jobkit';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Scales the product box so that max(w/W, h/H) equals the theme's fill ratio (the rest is padding), then
 * centres it, or stands it `bottomMargin` above the bottom edge.
 */
export function placeProduct(product: { width: number; height: number }, canvas: { width: number; height: number }, layout: ThemeLayout): Box {
  const scale = layout.fill / Math.max(product.width / canvas.width, product.height / canvas.height);
  const width = Math.max(1, Math.min(canvas.width, Math.round(product.width * scale)));
  const height = Math.max(1, Math.min(canvas.height, Math.round(product.height * scale)));
  const x = Math.round((canvas.width - width) / 2);
  const y = layout.align === 'bottom' ? Math.max(0, Math.round(canvas.height * (1 - layout.bottomMargin) - height)) : Math.round((canvas.height - height) / 2);
  return { x, y, width, height };
}

/** Shadow geometry in canvas pixels: the theme values are for a 2048 px canvas and scale with it. */
export function shadowGeometry(
  shadow: NonNullable<ThemeLayout['shadow']>,
  canvas: { width: number; height: number },
): { sigma: number; dx: number; dy: number; opacity: number } {
  const k = Math.max(canvas.width, canvas.height) / 2048;
  return {
    // blurPx is a blur radius (CSS sense): the Gaussian's sigma is half of it.
    sigma: Math.max(0.5, (shadow.blurPx * k) / 2),
    dx: Math.round(shadow.offsetX * k),
    dy: Math.round(shadow.offsetY * k),
    opacity: Math.min(1, Math.max(0, shadow.opacity)),
  };
}
