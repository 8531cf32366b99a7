/** Picks the model's supported aspect ratio closest to the requested size (compared in log space). */
import { invalidInput } from 'jobkit';

/** The ratios black-forest-labs/flux-schnell accepts. */
export const FLUX_ASPECT_RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'] as const;

export function closestAspectRatio(width: number, height: number, supported: readonly string[] = FLUX_ASPECT_RATIOS): string {
  if (!(Number.isInteger(width) && width > 0)) throw invalidInput('width', 'must be a positive integer');
  if (!(Number.isInteger(height) && height > 0)) throw invalidInput('height', 'must be a positive integer');
  const target = Math.log(width / height);
  let best = supported[0]!;
  let bestDistance = Infinity;
  for (const candidate of supported) {
    const [w, h] = candidate.split(':').map(Number) as [number, number];
    const distance = Math.abs(Math.log(w / h) - target);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
