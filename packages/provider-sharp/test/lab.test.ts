import { describe, expect, it } from 'vitest';
import { deltaE, rgbToLab, rgbToLabExact } from '../src/color/lab.js';

describe('rgbToLab (lookup tables, run per pixel)', () => {
  it('matches the reference sRGB → CIELAB (D65) values', () => {
    const out = new Float64Array(3);
    const cases: [number, number, number, [number, number, number]][] = [
      [255, 255, 255, [100, 0, 0]],
      [0, 0, 0, [0, 0, 0]],
      [255, 0, 0, [53.24, 80.09, 67.2]],
      [0, 0, 255, [32.3, 79.19, -107.86]],
      [128, 128, 128, [53.59, 0, 0]],
    ];
    for (const [r, g, b, want] of cases) {
      rgbToLab(r, g, b, out);
      expect(deltaE(out[0]!, out[1]!, out[2]!, ...want)).toBeLessThan(0.05);
      expect(deltaE(...rgbToLabExact(r, g, b), ...want)).toBeLessThan(0.05);
    }
  });

  it('stays within 0.05 ΔE of the exact conversion over the colour cube, dark colours included', () => {
    const out = new Float64Array(3);
    let worst = 0;
    for (let r = 0; r < 256; r += 5) {
      for (let g = 0; g < 256; g += 7) {
        for (let b = 0; b < 256; b += 3) {
          rgbToLab(r, g, b, out);
          worst = Math.max(worst, deltaE(out[0]!, out[1]!, out[2]!, ...rgbToLabExact(r, g, b)));
        }
      }
    }
    expect(worst).toBeLessThan(0.05);
  });
});
