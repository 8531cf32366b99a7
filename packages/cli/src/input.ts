/**
 * Turns the `process` argument (a folder of photos or a CSV sheet) into a list of inputs. Problems with
 * single entries (a file name that is not a SKU, a CSV row without a sha256 for its URL …) are reported
 * per entry and never stop the others; only an unusable argument (missing path, unreadable CSV) throws.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SHA256_PATTERN, SKU_PATTERN, httpUrlSchema } from 'jobkit';
import { parseCsv } from './csv.js';
import { UsageError } from './io.js';

/** Extensions the pipeline decodes, mapped to the extension used in the upload key. */
const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  jpg: 'jpg',
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
  tif: 'tiff',
  tiff: 'tiff',
};

const IMAGE_COLUMNS = ['image', 'path', 'imageurl', 'url'] as const;

/** A local photo: uploaded into the object store as the job's original. */
export interface FileInput {
  kind: 'file';
  /** Where it came from, for messages: the file name or "sheet.csv:12". */
  source: string;
  sku: string;
  /** Absolute path. */
  path: string;
  /** Key extension (jpg, png …). */
  ext: string;
  /** From the CSV, when given: the file must hash to it. */
  sha256?: string | undefined;
}

/** A remote photo: the worker downloads it through the SSRF-guarded fetch and verifies its sha256. */
export interface UrlInput {
  kind: 'url';
  source: string;
  sku: string;
  url: string;
  sha256: string;
}

export type PhotoInput = FileInput | UrlInput;

/**
 * An entry that did not become a job. `warning`: skipped by design (e.g. a README next to the photos);
 * `error`: the user asked for it and it cannot be done — counts towards exit code 1.
 */
export interface RejectedInput {
  source: string;
  severity: 'warning' | 'error';
  reason: string;
}

export interface InputScan {
  kind: 'folder' | 'csv';
  /** Absolute path of the folder or CSV. */
  path: string;
  inputs: PhotoInput[];
  rejected: RejectedInput[];
}

function isValidSku(value: string): boolean {
  return SKU_PATTERN.test(value) && !value.includes('..');
}

function imageExtension(fileName: string): string | undefined {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  return IMAGE_EXTENSIONS[ext];
}

/** Scans `target` (resolved against `cwd`): a directory, or a file ending in .csv. */
export async function scanInput(target: string, cwd: string): Promise<InputScan> {
  const abs = path.resolve(cwd, target);
  const stat = await fs.stat(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new UsageError(`input not found: ${target} (expected a folder of photos or a .csv file)`);
    throw new UsageError(`cannot read input ${target}: ${e.message}`);
  });
  if (stat.isDirectory()) return scanFolder(abs);
  if (stat.isFile() && path.extname(abs).toLowerCase() === '.csv') return scanCsv(abs);
  throw new UsageError(`input ${target} is neither a folder nor a .csv file`);
}

/** One job input per image file directly in `dir` (not recursive); the SKU is the file name without extension. */
export async function scanFolder(dir: string): Promise<InputScan> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((e: Error) => {
    throw new UsageError(`cannot read folder ${dir}: ${e.message}`);
  });
  const inputs: PhotoInput[] = [];
  const rejected: RejectedInput[] = [];
  const names = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const name = entry.name;
    if (entry.isDirectory()) {
      rejected.push({ source: name, severity: 'warning', reason: 'is a folder; sub-folders are not scanned' });
      continue;
    }
    const ext = imageExtension(name);
    if (!ext) {
      rejected.push({ source: name, severity: 'warning', reason: `not an image file (supported: ${Object.keys(IMAGE_EXTENSIONS).join(', ')})` });
      continue;
    }
    const sku = name.slice(0, name.length - path.extname(name).length);
    if (!isValidSku(sku)) {
      rejected.push({
        source: name,
        severity: 'warning',
        reason: `file name ${JSON.stringify(sku)} is not a valid SKU (letters, digits, ".", "_", "-"; max 64; no "..")`,
      });
      continue;
    }
    inputs.push({ kind: 'file', source: name, sku, path: path.join(dir, name), ext });
  }
  return { kind: 'folder', path: dir, inputs, rejected };
}

/**
 * CSV with a header row. Columns (case-insensitive, any order, others ignored): `sku` (required),
 * one of `image` / `path` / `imageUrl` / `url` (a local path, relative to the CSV's folder, or an http(s)
 * URL), and `sha256` (optional for local files, required for URLs).
 */
export async function scanCsv(file: string): Promise<InputScan> {
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new UsageError(`cannot read CSV ${file}: ${e.message}`);
  });
  const label = path.basename(file);
  const records = parseCsv(text, label);
  if (records.length === 0) throw new UsageError(`${label}: empty CSV (expected a header row with "sku" and "image" columns)`);
  const header = records[0]!.fields.map((h) => h.trim().toLowerCase());
  const skuCol = header.indexOf('sku');
  const imageCol = IMAGE_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0) ?? -1;
  const shaCol = header.indexOf('sha256');
  if (skuCol < 0 || imageCol < 0) {
    const missing = [skuCol < 0 ? '"sku"' : null, imageCol < 0 ? `one of ${IMAGE_COLUMNS.map((c) => `"${c}"`).join(', ')}` : null]
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(`${label}: the header row lacks ${missing} (found: ${records[0]!.fields.join(', ') || 'nothing'})`);
  }
  const baseDir = path.dirname(file);
  const inputs: PhotoInput[] = [];
  const rejected: RejectedInput[] = [];
  for (const record of records.slice(1)) {
    const source = `${label}:${record.line}`;
    const cell = (i: number) => (i >= 0 ? (record.fields[i] ?? '').trim() : '');
    const sku = cell(skuCol);
    const image = cell(imageCol);
    const sha = cell(shaCol).toLowerCase();
    const reject = (reason: string) => rejected.push({ source, severity: 'error', reason });
    if (!sku) {
      reject('empty sku');
      continue;
    }
    if (!isValidSku(sku)) {
      reject(`sku ${JSON.stringify(sku.slice(0, 80))} is invalid (letters, digits, ".", "_", "-"; max 64; no "..")`);
      continue;
    }
    if (!image) {
      reject(`empty ${header[imageCol]} column`);
      continue;
    }
    if (sha && !SHA256_PATTERN.test(sha)) {
      reject(`sha256 ${JSON.stringify(sha.slice(0, 80))} is not 64 hex characters`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image)) {
      if (!httpUrlSchema.safeParse(image).success) {
        reject(`${JSON.stringify(image.slice(0, 120))} is not an http(s) URL without credentials`);
        continue;
      }
      if (!sha) {
        reject(
          `the URL ${image.slice(0, 120)} has no sha256: URLs need the photo's sha256 in the "sha256" column (the worker verifies the download against it)`,
        );
        continue;
      }
      inputs.push({ kind: 'url', source, sku, url: image, sha256: sha });
      continue;
    }
    const abs = path.resolve(baseDir, image);
    const ext = imageExtension(abs);
    if (!ext) {
      reject(`${image} is not an image file (supported: ${Object.keys(IMAGE_EXTENSIONS).join(', ')})`);
      continue;
    }
    inputs.push({ kind: 'file', source, sku, path: abs, ext, ...(sha ? { sha256: sha } : {}) });
  }
  return { kind: 'csv', path: file, inputs, rejected };
}
