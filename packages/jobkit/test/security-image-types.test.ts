/** Original formats: the accepted list and magic-number sniffing, on real encoder output and on edge cases. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMAGE_CONTENT_TYPES, describeImageBytes, extensionForContentType, imageExtensionFor, normalizeImageContentType, sniffImageType } from 'jobkit';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/formats/${name}`, import.meta.url));
const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
/** An ISO-BMFF ftyp box with a major brand and compatible brands. */
const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const size = 16 + 4 * compatible.length;
  return bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], ...compatible, [0, 0, 0, 8], 'meta');
};

describe('IMAGE_CONTENT_TYPES', () => {
  it('is the list the pipeline decodes, each with its stored extension', () => {
    expect([...IMAGE_CONTENT_TYPES]).toEqual(['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/tiff']);
    expect(IMAGE_CONTENT_TYPES.map(imageExtensionFor)).toEqual(['jpg', 'png', 'webp', 'avif', 'gif', 'tiff']);
  });

  it('normalises content-type headers: parameters, case and common aliases; refuses everything else', () => {
    expect(normalizeImageContentType('image/JPEG; charset=binary')).toBe('image/jpeg');
    expect(normalizeImageContentType('image/jpg')).toBe('image/jpeg');
    expect(normalizeImageContentType('image/pjpeg')).toBe('image/jpeg');
    expect(normalizeImageContentType(' image/webp ')).toBe('image/webp');
    for (const refused of ['image/svg+xml', 'image/heic', 'image/bmp', 'image/x-icon', 'text/html', 'application/octet-stream', '', undefined, null]) {
      expect(normalizeImageContentType(refused), String(refused)).toBeNull();
    }
    expect(extensionForContentType('image/webp')).toBe('webp');
  });
});

describe('sniffImageType on real encoder output', () => {
  it.each([
    ['photo.jpg', 'image/jpeg'],
    ['photo.png', 'image/png'],
    ['photo.webp', 'image/webp'],
    ['photo.avif', 'image/avif'],
    ['photo.gif', 'image/gif'],
    ['photo.tiff', 'image/tiff'],
  ])('%s → %s', (file, type) => {
    expect(sniffImageType(fixture(file))).toBe(type);
    expect(describeImageBytes(fixture(file))).toBe(type);
  });

  it('an SVG (with a script) is not an accepted image and is named as svg', () => {
    expect(sniffImageType(fixture('photo.svg'))).toBeNull();
    expect(describeImageBytes(fixture('photo.svg'))).toBe('svg');
  });
});

describe('sniffImageType signatures', () => {
  it.each<[string, Buffer, string | null, string]>([
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xdb]), 'image/jpeg', 'image/jpeg'],
    ['PNG', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'image/png', 'image/png'],
    ['WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp', 'image/webp'],
    ['AVIF (major brand)', ftyp('avif', 'mif1', 'miaf'), 'image/avif', 'image/avif'],
    ['AVIF sequence', ftyp('avis', 'msf1'), 'image/avif', 'image/avif'],
    ['AVIF (compatible brand)', ftyp('mif1', 'avif', 'miaf'), 'image/avif', 'image/avif'],
    ['GIF87a', bytes('GIF87a', [8, 0, 8, 0]), 'image/gif', 'image/gif'],
    ['GIF89a', bytes('GIF89a', [8, 0, 8, 0]), 'image/gif', 'image/gif'],
    ['TIFF little-endian', bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'image/tiff', 'image/tiff'],
    ['TIFF big-endian', bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'image/tiff', 'image/tiff'],
    ['HEIC', ftyp('heic', 'mif1', 'heic'), null, 'heic'],
    ['MP4', ftyp('isom', 'iso2', 'mp41'), null, 'iso-bmff (isom)'],
    ['SVG without prolog', bytes('  <svg xmlns="http://www.w3.org/2000/svg"/>'), null, 'svg'],
    ['SVG with a UTF-8 BOM', bytes([0xef, 0xbb, 0xbf], '<svg/>'), null, 'svg'],
    ['HTML', bytes('<!DOCTYPE html><html>'), null, 'html'],
    ['PDF', bytes('%PDF-1.7'), null, 'pdf'],
    ['BMP', bytes('BM', [0x36, 0, 0, 0]), null, 'bmp'],
    ['ICO', bytes([0, 0, 1, 0, 1, 0]), null, 'ico'],
    ['JPEG XL', bytes([0xff, 0x0a, 0xfa]), null, 'jpeg-xl'],
    ['RIFF that is not WebP (WAV)', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), null, 'unknown'],
    ['GIF-like but not', bytes('GIF88a'), null, 'unknown'],
    ['truncated JPEG', bytes([0xff, 0xd8]), null, 'unknown'],
    ['empty', bytes(), null, 'unknown'],
  ])('%s', (_name, input, type, described) => {
    expect(sniffImageType(input)).toBe(type);
    expect(describeImageBytes(input)).toBe(described);
  });
});
