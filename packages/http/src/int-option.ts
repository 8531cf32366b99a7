import { invalidInput } from 'jobkit';

/** A numeric option: `fallback` when absent, else an integer in min..max (INVALID_INPUT naming the option otherwise). */
export function intOption(value: number | undefined, fallback: number, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw invalidInput(field, `must be an integer ${min}..${max}`);
  return v;
}
