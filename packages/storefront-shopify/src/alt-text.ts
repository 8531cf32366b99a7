/** Alt text with the deterministic marker that makes pushes idempotent. */

/** Shopify rejects media alt text longer than this. */
export const MAX_ALT_LENGTH = 512;

export const DEFAULT_ALT_TEMPLATE = '{title} — {theme}';

export interface AltTextValues {
  title: string;
  theme: string;
  sku: string;
  aspect: string;
  variant: number;
}

/** Fills `{title}`, `{theme}`, `{sku}`, `{aspect}`, `{variant}`; unknown placeholders stay as written. */
export function renderAltTemplate(template: string, values: AltTextValues): string {
  return template.replace(/\{(title|theme|sku|aspect|variant)\}/g, (_, name: keyof AltTextValues) => String(values[name]));
}

function markerSuffix(marker: string): string {
  return `[${marker}]`;
}

/**
 * `${human} [${marker}]`, at most 512 characters: the human part is cut (at a code point boundary, with an
 * ellipsis), the marker never is — it is how a later run recognises the media item.
 */
export function buildAltText(human: string, marker: string, maxLength = MAX_ALT_LENGTH): string {
  const suffix = markerSuffix(marker);
  if (suffix.length > maxLength) throw new RangeError(`marker is too long for alt text (${suffix.length} > ${maxLength})`);
  const clean = human.replace(/\s+/g, ' ').trim();
  if (clean === '') return suffix;
  const room = maxLength - suffix.length - 1; // one space between the parts
  if (clean.length <= room) return `${clean} ${suffix}`;
  if (room <= 1) return suffix;
  // Cut by code points so a surrogate pair is never split, leaving room for the ellipsis.
  let cut = '';
  for (const ch of clean) {
    if (cut.length + ch.length > room - 1) break;
    cut += ch;
  }
  return `${cut.trimEnd()}… ${suffix}`;
}

/** Whether a media item's alt text carries `marker` (brackets make `…:1]` distinct from `…:10]`). */
export function altHasMarker(alt: string | null | undefined, marker: string): boolean {
  return typeof alt === 'string' && alt.includes(markerSuffix(marker));
}
