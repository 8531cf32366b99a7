/**
 * The photos the segmentation benchmark runs on: the labelled studio set (kept outside the repository; see
 * bench/segmentation/README.md for where it comes from) and this repository's own procedural renders.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export interface EvalPhoto {
  id: string;
  set: 'studio-set' | 'renders';
  categories: string[];
  /** The photo file's bytes (JPEG). */
  bytes: () => Promise<Buffer>;
  /** Ground truth, 1 = product. */
  truth: () => Promise<{ mask: Uint8Array; width: number; height: number }>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../..');

/** Where the studio set lives: JOBKIT_EVAL_DIR, else the workspace's shared evaluation folder (README.md). */
export function studioSetDir(): string | null {
  const dir = process.env.JOBKIT_EVAL_DIR ?? resolve(REPO_ROOT, '../shared/eval/studio-set');
  return existsSync(join(dir, 'manifest.json')) ? dir : null;
}

export async function readMask(path: string): Promise<{ mask: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const mask = new Uint8Array(info.width * info.height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i]! >= 128 ? 1 : 0;
  return { mask, width: info.width, height: info.height };
}

interface ManifestImage {
  id: string;
  file: string;
  mask: string;
  categories: string[];
}

async function fromManifest(dir: string, set: EvalPhoto['set']): Promise<EvalPhoto[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { images: ManifestImage[] };
  return manifest.images.map((im) => ({
    id: im.id,
    set,
    categories: im.categories,
    bytes: () => readFile(join(dir, im.file)),
    truth: () => readMask(join(dir, im.mask)),
  }));
}

export async function loadStudioSet(): Promise<EvalPhoto[]> {
  const dir = studioSetDir();
  return dir ? fromManifest(dir, 'studio-set') : [];
}

export const RENDERS_DIR = join(here, 'renders/out');

export async function loadRenders(): Promise<EvalPhoto[]> {
  return existsSync(join(RENDERS_DIR, 'manifest.json')) ? fromManifest(RENDERS_DIR, 'renders') : [];
}
