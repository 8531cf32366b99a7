/**
 * Theme registry. A theme is data: an AI prompt for hosted generators, a procedural recipe for local
 * renderers (provider-sharp), and the layout the compositor applies. It lives in the core so that every
 * generator (local or hosted) and the JobService agree on which themes exist.
 */
import { invalidInput } from '../errors.js';
import { THEME_PATTERN } from './validation.js';

export type Rgb = readonly [number, number, number];

export type BackgroundRecipe =
  | { kind: 'solid'; color: Rgb }
  | { kind: 'linear-gradient'; from: Rgb; to: Rgb; angleDeg: number }
  | { kind: 'radial-gradient'; inner: Rgb; outer: Rgb }
  /** A seamless paper sweep: wall colour blending into a floor at `horizon` (0..1 from the top). */
  | { kind: 'studio-sweep'; wall: Rgb; floor: Rgb; horizon: number };

export interface ThemeLayout {
  /** max(productW/W, productH/H) after scaling (0..1). */
  fill: number;
  /** Vertical placement of the product. */
  align: 'center' | 'bottom';
  /** Padding from the bottom edge when bottom-aligned, as a fraction of the height. */
  bottomMargin: number;
  /** Contact shadow drawn from the alpha; null for none. */
  shadow: { opacity: number; blurPx: number; offsetX: number; offsetY: number } | null;
  /** Soft darkening towards the edges (0 = none, 1 = strong). */
  vignette: number;
  /** Add subtle per-variant colour variation so variants differ (0 = identical variants). */
  variantJitter: number;
}

export interface Theme {
  name: string;
  label: string;
  /** Prompt for hosted background generators. */
  prompt: string;
  negativePrompt?: string;
  recipe: BackgroundRecipe;
  layout: ThemeLayout;
}

export type ThemeInput = Omit<Theme, 'layout'> & { layout?: Partial<ThemeLayout> };

const DEFAULT_LAYOUT: ThemeLayout = {
  fill: 0.8,
  align: 'center',
  bottomMargin: 0.08,
  shadow: { opacity: 0.35, blurPx: 18, offsetX: 0, offsetY: 10 },
  vignette: 0,
  variantJitter: 0.04,
};

export function defineTheme(input: ThemeInput): Theme {
  if (!THEME_PATTERN.test(input.name)) throw invalidInput('name', 'theme name must match ^[a-z0-9][a-z0-9-]{0,31}$');
  const layout = { ...DEFAULT_LAYOUT, ...input.layout };
  if (!(layout.fill > 0 && layout.fill <= 1)) throw invalidInput('layout.fill', 'must be in (0, 1]');
  return { ...input, layout };
}

export const BUILTIN_THEMES: readonly Theme[] = [
  defineTheme({
    name: 'default',
    label: 'Marketplace white',
    prompt: 'pure white seamless background, no shadows, e-commerce marketplace product photo',
    recipe: { kind: 'solid', color: [255, 255, 255] },
    // Marketplace rules: pure white, the product fills ≥ 85 % of the frame, no shadow, no variation.
    layout: { fill: 0.88, align: 'center', shadow: null, vignette: 0, variantJitter: 0 },
  }),
  defineTheme({
    name: 'studio',
    label: 'Studio sweep',
    prompt: 'professional photo studio, seamless light grey paper sweep, soft diffused lighting, subtle floor reflection',
    recipe: { kind: 'studio-sweep', wall: [236, 236, 238], floor: [214, 214, 218], horizon: 0.68 },
    layout: { fill: 0.72, align: 'bottom', bottomMargin: 0.12, shadow: { opacity: 0.38, blurPx: 22, offsetX: 0, offsetY: 8 }, vignette: 0.25 },
  }),
  defineTheme({
    name: 'warm',
    label: 'Warm gradient',
    prompt: 'warm beige gradient backdrop, soft morning light, minimal lifestyle product photo',
    recipe: { kind: 'linear-gradient', from: [250, 240, 226], to: [226, 204, 178], angleDeg: 90 },
    layout: { fill: 0.75, align: 'center', shadow: { opacity: 0.3, blurPx: 20, offsetX: 6, offsetY: 12 }, vignette: 0.15 },
  }),
  defineTheme({
    name: 'slate',
    label: 'Dark slate spotlight',
    prompt: 'dark slate grey backdrop with a soft spotlight behind the product, premium moody product photo',
    recipe: { kind: 'radial-gradient', inner: [96, 104, 116], outer: [34, 38, 44] },
    layout: { fill: 0.7, align: 'center', shadow: { opacity: 0.5, blurPx: 24, offsetX: 0, offsetY: 14 }, vignette: 0.35 },
  }),
];

/** A registry of themes; `createThemeRegistry()` starts with the built-ins. */
export interface ThemeRegistry {
  get(name: string): Theme;
  has(name: string): boolean;
  names(): string[];
  register(theme: Theme | ThemeInput): Theme;
}

export function createThemeRegistry(themes: readonly (Theme | ThemeInput)[] = BUILTIN_THEMES): ThemeRegistry {
  const map = new Map<string, Theme>();
  const registry: ThemeRegistry = {
    get(name) {
      const t = map.get(name);
      if (!t) throw invalidInput('theme', `unknown theme "${String(name).slice(0, 40)}"; known themes: ${[...map.keys()].join(', ')}`);
      return t;
    },
    has: (name) => map.has(name),
    names: () => [...map.keys()],
    register(theme) {
      const t = defineTheme(theme);
      map.set(t.name, t);
      return t;
    },
  };
  for (const t of themes) registry.register(t);
  return registry;
}
