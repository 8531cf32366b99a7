/** The 0.1 segmenter's resolved options (defaults as released). */
export interface ResolvedOptions {
  threshold: number | undefined;
  shadowTolerance: number;
  edgeRadius: number | undefined;
}

export const BASELINE_OPTIONS: ResolvedOptions = { threshold: undefined, shadowTolerance: 20, edgeRadius: undefined };
