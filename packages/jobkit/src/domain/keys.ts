/**
 * Object keys, built only from validated parts (DESIGN.md §4). A key that fails validation is a bug,
 * never a path: every store calls assertSafeKey before touching the key.
 */
import { invalidInput } from '../errors.js';
import { SHA256_PATTERN, SKU_PATTERN, THEME_PATTERN } from './validation.js';

const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const IMAGE_EXTENSIONS = ['jpg', 'png', 'webp', 'avif', 'gif', 'tiff'] as const;
export type ImageExtension = (typeof IMAGE_EXTENSIONS)[number];
export const DERIVATIVE_FORMATS = ['jpg', 'webp', 'avif'] as const;
export type DerivativeFormat = (typeof DERIVATIVE_FORMATS)[number];
const ASPECT_PATTERN = /^[1-9][0-9]?x[1-9][0-9]?$/;
const SIZE_PATTERN = /^[a-z0-9]{1,16}$/;

/** True when `key` is a relative, normalised path of safe segments (no traversal, no absolute path). */
export function isSafeKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) return false;
  const parts = key.split('/');
  return parts.every((p) => p !== '.' && p !== '..' && !p.includes('..') && KEY_SEGMENT.test(p));
}

export function assertSafeKey(key: unknown, field = 'key'): asserts key is string {
  if (!isSafeKey(key)) throw invalidInput(field, `unsafe object key ${JSON.stringify(String(key)).slice(0, 80)}`);
}

function check(value: string, pattern: RegExp, field: string): string {
  if (!pattern.test(value) || value.includes('..')) throw invalidInput(field, `invalid value ${JSON.stringify(value).slice(0, 80)}`);
  return value;
}
const n = (value: number, field: string): number => {
  if (!Number.isInteger(value) || value < 1 || value > 99) throw invalidInput(field, 'must be an integer 1..99');
  return value;
};

export interface PhotoRef {
  sku: string;
  sha256: string;
}
export interface ThemedPhotoRef extends PhotoRef {
  theme: string;
}

export const keys = {
  original(p: PhotoRef, ext: ImageExtension | string = 'jpg'): string {
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) throw invalidInput('ext', `unsupported extension ${ext}`);
    return `originals/${check(p.sku, SKU_PATTERN, 'sku')}/${check(p.sha256, SHA256_PATTERN, 'sha256')}.${ext}`;
  },
  /** The RGBA cutout (its alpha is the mask); shared by all themes of one photo. */
  mask(p: PhotoRef): string {
    return `masks/${check(p.sku, SKU_PATTERN, 'sku')}/${check(p.sha256, SHA256_PATTERN, 'sha256')}.png`;
  },
  /** The cutout's quality verdict (JSON), stored beside the mask so every theme of the photo reads the same one. */
  maskQuality(p: PhotoRef): string {
    return `masks/${check(p.sku, SKU_PATTERN, 'sku')}/${check(p.sha256, SHA256_PATTERN, 'sha256')}.quality.json`;
  },
  background(p: ThemedPhotoRef, variant: number): string {
    return `backgrounds/${check(p.theme, THEME_PATTERN, 'theme')}/${check(p.sku, SKU_PATTERN, 'sku')}/${check(p.sha256, SHA256_PATTERN, 'sha256')}_${n(variant, 'variant')}.jpg`;
  },
  composite(p: ThemedPhotoRef, aspect: string, variant: number): string {
    return `composites/${themed(p)}_${check(aspect, ASPECT_PATTERN, 'aspect')}_${n(variant, 'variant')}_master.jpg`;
  },
  thumbnail(p: ThemedPhotoRef, aspect: string, variant: number): string {
    return `thumbs/${themed(p)}_${check(aspect, ASPECT_PATTERN, 'aspect')}_${n(variant, 'variant')}_400.jpg`;
  },
  derivative(p: ThemedPhotoRef, aspect: string, variant: number, size: string, format: DerivativeFormat): string {
    if (!(DERIVATIVE_FORMATS as readonly string[]).includes(format)) throw invalidInput('format', `unsupported format ${format}`);
    return `derivatives/${themed(p)}_${check(aspect, ASPECT_PATTERN, 'aspect')}_${n(variant, 'variant')}_${check(size, SIZE_PATTERN, 'size')}.${format}`;
  },
};

function themed(p: ThemedPhotoRef): string {
  return `${check(p.theme, THEME_PATTERN, 'theme')}/${check(p.sku, SKU_PATTERN, 'sku')}/${check(p.sha256, SHA256_PATTERN, 'sha256')}`;
}

/** Parses aspect and variant back out of a composite master key (for storefront markers, dashboards). */
export function parseCompositeKey(key: string): { theme: string; sku: string; sha256: string; aspect: string; variant: number } | null {
  const m = /^composites\/([a-z0-9-]+)\/([A-Za-z0-9._-]+)\/([0-9a-f]{64})_([0-9]+x[0-9]+)_([0-9]+)_master\.jpg$/.exec(key);
  if (!m) return null;
  return { theme: m[1]!, sku: m[2]!, sha256: m[3]!, aspect: m[4]!, variant: Number(m[5]) };
}

export function contentTypeForKey(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  const types: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    webp: 'image/webp',
    avif: 'image/avif',
    gif: 'image/gif',
    tiff: 'image/tiff',
    json: 'application/json',
  };
  return types[ext] ?? 'application/octet-stream';
}
