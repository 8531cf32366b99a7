import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createLogger } from '../src/logger.js';

/** Placeholder product photos: a coloured shape on a white studio background. */
export async function writePlaceholderSamples(dir: string, specs: Array<{ name: string; color: string; shape: 'circle' | 'rect' }>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const s of specs) {
    const shape =
      s.shape === 'circle'
        ? `<circle cx="300" cy="320" r="170" fill="${s.color}"/>`
        : `<rect x="170" y="140" width="260" height="340" rx="24" fill="${s.color}"/>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><rect width="600" height="600" fill="#ffffff"/>${shape}</svg>`;
    await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toFile(path.join(dir, s.name));
  }
}

/** A pino logger writing into an array (to assert on log lines). */
export function capturingLogger(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}
