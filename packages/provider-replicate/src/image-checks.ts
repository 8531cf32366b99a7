/** Cheap sanity checks on downloaded bytes, so a wrong model or an error page never lands in the store. */

export function isPng(b: Buffer): boolean {
  return b.length >= 33 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

/** PNG colour type from IHDR: 6 = RGBA, 4 = grey + alpha (both carry an alpha channel). */
export function pngHasAlpha(b: Buffer): boolean {
  if (!isPng(b)) return false;
  const colorType = b[25];
  return colorType === 6 || colorType === 4;
}

export function isJpeg(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

export function isWebp(b: Buffer): boolean {
  return b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP';
}
