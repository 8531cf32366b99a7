/**
 * Cost of one prediction. Replicate bills community models by hardware time (`metrics.predict_time` ×
 * the hardware's per-second price) and many official models per output (flux-schnell: per image).
 */
import { invalidInput } from 'jobkit';

export type Pricing = { kind: 'per-second'; usdPerSecond: number } | { kind: 'per-output'; usdPerOutput: number };

/** Replicate's public hardware prices (USD/s) at the time of writing; check replicate.com/pricing. */
export const HARDWARE_USD_PER_SECOND = {
  cpu: 0.0001,
  'nvidia-t4': 0.000225,
  'nvidia-l40s': 0.000975,
  'nvidia-a100-80gb': 0.0014,
  'nvidia-h100': 0.001525,
} as const;

export function validatePricing(p: Pricing, field: string): Pricing {
  const value = p?.kind === 'per-second' ? p.usdPerSecond : p?.kind === 'per-output' ? p.usdPerOutput : NaN;
  if (!(Number.isFinite(value) && value >= 0)) throw invalidInput(field, 'needs kind "per-second" with usdPerSecond ≥ 0 or "per-output" with usdPerOutput ≥ 0');
  return p;
}

/** Rounded to micro-dollars so sums of many predictions do not drift in floating point. */
export function predictionCost(p: Pricing, predictTimeSec: number | undefined, outputs: number): number {
  const raw = p.kind === 'per-second' ? Math.max(0, predictTimeSec ?? 0) * p.usdPerSecond : outputs * p.usdPerOutput;
  return Math.round(raw * 1e6) / 1e6;
}
