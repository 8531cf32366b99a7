/**
 * The imaging options a user can set on the command line (aspects, size, variants, derivatives), turned
 * into provider-sharp compositor options. `process` remembers them in {dataDir}/pipeline.json so a later
 * `retry` renders with the same settings unless told otherwise.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ASPECTS, type AspectSpec, type SharpCompositorOptions } from '@jobkit/provider-sharp';
import { booleanFlag, intFlag, stringFlag, type OptionSpec, type ParsedValues } from './args.js';
import { UsageError } from './io.js';

export interface PipelineSettings {
  /** Aspect ids such as "1x1", "4x5", "16x9". */
  aspects: string[];
  /** Long edge of every master in px; null = the provider defaults (1x1 2048², 4x5 1600×2000, 16x9 2560×1440). */
  size: number | null;
  variants: number;
  derivatives: boolean;
  /** Storefront directory (absolute); null = {dataDir}/storefront. */
  outDir: string | null;
}

export const DEFAULT_PIPELINE: PipelineSettings = { aspects: DEFAULT_ASPECTS.map((a) => a.id), size: null, variants: 2, derivatives: true, outDir: null };

export const PIPELINE_OPTIONS = {
  out: { type: 'string' },
  aspects: { type: 'string' },
  size: { type: 'string' },
  variants: { type: 'string' },
  'no-derivatives': { type: 'boolean' },
} as const satisfies OptionSpec;

export const PIPELINE_HELP = `Output options (remembered in {data-dir}/pipeline.json for later runs):
  --out <dir>        storefront output directory (default: {data-dir}/storefront)
  --aspects <list>   output aspect ratios, e.g. 1x1,4x5,16x9 (default: all three)
  --size <px>        long edge of every master image, 64..8192 (default: 2048 for 1x1,
                     2000 for 4x5, 2560 for 16x9)
  --variants <n>     background variants per photo and theme, 1..10 (default 2)
  --no-derivatives   skip the hero / product-page JPEG, WebP and AVIF derivatives`;

const ASPECT_ID = /^([1-9][0-9]?)x([1-9][0-9]?)$/;
const FILE = 'pipeline.json';

/** Flags override `base` (the remembered settings or the defaults); --out resolves against `cwd`. */
export function pipelineFromFlags(values: ParsedValues, base: PipelineSettings, cwd: string): PipelineSettings {
  const aspectsRaw = stringFlag(values, 'aspects');
  const aspects = aspectsRaw === undefined ? base.aspects : parseAspects(aspectsRaw);
  const size = intFlag(values, 'size', undefined, 64, 8192) ?? base.size;
  const variants = intFlag(values, 'variants', base.variants, 1, 10);
  const derivatives = booleanFlag(values, 'no-derivatives') ? false : base.derivatives;
  const out = stringFlag(values, 'out');
  const outDir = out === undefined ? base.outDir : path.resolve(cwd, out);
  return { aspects, size, variants, derivatives, outDir };
}

function parseAspects(raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--aspects needs at least one aspect such as 1x1');
  for (const a of list) {
    if (!ASPECT_ID.test(a)) throw new UsageError(`--aspects: ${JSON.stringify(a)} is not an aspect ratio like 1x1, 4x5 or 16x9`);
  }
  if (new Set(list).size !== list.length) throw new UsageError('--aspects lists the same aspect twice');
  return list;
}

/** The compositor's aspect list: known aspects keep their default pixel sizes unless --size is given. */
export function aspectSpecs(settings: PipelineSettings): AspectSpec[] {
  return settings.aspects.map((id) => {
    const known = DEFAULT_ASPECTS.find((a) => a.id === id);
    if (known && settings.size === null) return { ...known };
    const [, w, h] = ASPECT_ID.exec(id)!;
    const rw = Number(w);
    const rh = Number(h);
    const long = settings.size ?? 2048;
    return rw >= rh
      ? { id, width: long, height: Math.max(16, Math.round((long * rh) / rw)) }
      : { id, width: Math.max(16, Math.round((long * rw) / rh)), height: long };
  });
}

export function compositorOptions(settings: PipelineSettings): Omit<SharpCompositorOptions, 'themes'> {
  return { aspects: aspectSpecs(settings), variants: settings.variants, ...(settings.derivatives ? {} : { derivatives: false as const }) };
}

export async function loadPipelineSettings(dataDir: string): Promise<PipelineSettings> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, FILE), 'utf8');
  } catch {
    return DEFAULT_PIPELINE;
  }
  try {
    const raw = JSON.parse(text) as Partial<PipelineSettings>;
    // Re-validate through the flag parser so a hand-edited file cannot smuggle in bad values.
    return pipelineFromFlags(
      {
        ...(Array.isArray(raw.aspects) ? { aspects: raw.aspects.join(',') } : {}),
        ...(typeof raw.size === 'number' ? { size: String(raw.size) } : {}),
        ...(typeof raw.variants === 'number' ? { variants: String(raw.variants) } : {}),
        ...(raw.derivatives === false ? { 'no-derivatives': true } : {}),
        ...(typeof raw.outDir === 'string' && path.isAbsolute(raw.outDir) ? { out: raw.outDir } : {}),
      },
      DEFAULT_PIPELINE,
      dataDir,
    );
  } catch (e) {
    throw new UsageError(`${path.join(dataDir, FILE)} is invalid (${(e as Error).message}); fix or delete it`);
  }
}

export function storefrontDir(settings: PipelineSettings, dataDir: string): string {
  return settings.outDir ?? path.join(dataDir, 'storefront');
}

export async function savePipelineSettings(dataDir: string, settings: PipelineSettings): Promise<void> {
  await fs.writeFile(path.join(dataDir, FILE), `${JSON.stringify(settings, null, 2)}\n`);
}
