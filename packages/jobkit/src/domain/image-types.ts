/**
 * The image formats jobkit accepts as originals — the ones the pipeline decodes — and how to recognise them
 * from their bytes. A content-type header is what a server claims; the magic number is what the decoder
 * will see, so downloads and uploads check both and the stored extension follows the bytes.
 */
import type { ImageExtension } from './keys.js';

/** Accepted original formats, for downloads and uploads alike. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/tiff'] as const;
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];

const EXTENSIONS: Record<ImageContentType, ImageExtension> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/gif': 'gif',
  'image/tiff': 'tiff',
};

/** Non-standard names servers still send for accepted formats. */
const ALIASES: Record<string, ImageContentType> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png' };

/** The accepted type a content-type header names (parameters and case ignored, aliases resolved), or null. */
export function normalizeImageContentType(header: string | null | undefined): ImageContentType | null {
  const type = String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if ((IMAGE_CONTENT_TYPES as readonly string[]).includes(type)) return type as ImageContentType;
  return ALIASES[type] ?? null;
}

/** File extension for an accepted type (originals are stored as originals/{sku}/{sha256}.{ext}). */
export function imageExtensionFor(type: ImageContentType): ImageExtension {
  return EXTENSIONS[type];
}

const ascii = (b: Uint8Array, start: number, end: number): string => String.fromCharCode(...b.subarray(start, Math.min(end, b.length)));
const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** The brands of an ISO-BMFF `ftyp` box at the start (major + compatible), or null when there is none. */
function ftypBrands(b: Uint8Array): string[] | null {
  if (b.length < 12 || ascii(b, 4, 8) !== 'ftyp') return null;
  const size = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const end = Math.min(size >= 16 ? size : 12, b.length, 4096);
  const brands = [ascii(b, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(b, i, i + 4));
  return brands;
}

/**
 * The accepted format the bytes are, from their signature (magic number), or null:
 * JPEG FF D8 FF · PNG 89 50 4E 47 0D 0A 1A 0A · WebP RIFF….WEBP · AVIF ftyp with an avif/avis brand ·
 * GIF87a / GIF89a · TIFF II*\0 / MM\0*.
 */
export function sniffImageType(bytes: Uint8Array): ImageContentType | null {
  const b = bytes;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'image/gif';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  const brands = ftypBrands(b);
  if (brands && (brands.includes('avif') || brands.includes('avis'))) return 'image/avif';
  return null;
}

/**
 * A short name for what the bytes are, for error messages: an accepted type, or a common format jobkit
 * refuses (svg, html, heic, …), or "unknown".
 */
export function describeImageBytes(bytes: Uint8Array): string {
  const accepted = sniffImageType(bytes);
  if (accepted) return accepted;
  const text = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes; // UTF-8 BOM
  const head = ascii(text, 0, 512).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (head.startsWith('<?xml')) return 'xml';
  if (head.startsWith('%pdf-')) return 'pdf';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  const brands = ftypBrands(bytes);
  if (brands?.some((x) => ['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(x))) return 'heic';
  if (brands) return `iso-bmff (${brands[0]!.trim()})`;
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jpeg-xl';
  if (ascii(bytes, 0, 4) === '8BPS') return 'psd';
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'bigtiff';
  return 'unknown';
}
