/**
 * `npm run demo`: runs the sample photos in ../samples through the whole pipeline on embedded defaults and
 * prints where the composites are. Exit 0 when every job is DONE (or held in REVIEW by the quality gate);
 * 1 when one failed or timed out.
 *
 *   DEMO_DATA_DIR    data directory (default: a new temp directory, kept so you can look at the images)
 *   DEMO_SAMPLES_DIR photos to send (default examples/express-server/samples)
 *   DEMO_TIMEOUT_MS  default 180000
 *   LOG_LEVEL        server log level (default warn)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo-lib.js';
import { createLogger } from './logger.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  const dataDir = process.env['DEMO_DATA_DIR'] ? path.resolve(process.env['DEMO_DATA_DIR']) : await mkdtemp(path.join(tmpdir(), 'jobkit-demo-'));
  const samplesDir = path.resolve(process.env['DEMO_SAMPLES_DIR'] ?? path.join(here, '..', 'samples'));
  const timeoutMs = Number(process.env['DEMO_TIMEOUT_MS'] ?? 180_000);
  const level = (process.env['LOG_LEVEL'] as 'warn' | undefined) ?? 'warn';
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`jobkit demo: photos from ${samplesDir}`);
  const result = await runDemo({ samplesDir, dataDir, timeoutMs, logger: createLogger(level), print, env: { LOG_LEVEL: level } });

  print('');
  print('summary');
  for (const r of result.jobs) {
    const j = r.job;
    const detail = j
      ? `${j.compositeKeys.length} composites, ${j.storefrontMediaIds.length} storefront images, $${j.costUsd.toFixed(4)}${j.errorCode ? `, ${j.errorCode}: ${j.errorMessage}` : ''}`
      : '';
    const mark = r.outcome === 'DONE' ? 'ok  ' : r.outcome === 'REVIEW' ? 'HOLD' : 'FAIL';
    print(`  ${mark} ${r.sku.padEnd(16)} ${r.outcome.padEnd(8)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${detail}`);
  }
  print('');
  print(`data directory:    ${result.dataDir}`);
  if (result.objectsDir) {
    print(`composites:        ${path.join(result.objectsDir, 'composites')}/<theme>/<sku>/`);
    const first = result.jobs.find((r) => r.job?.compositeKeys[0]);
    if (first) print(`  e.g.             ${path.join(result.objectsDir, first.job!.compositeKeys[0]!)}`);
  }
  if (result.storefrontDir) print(`storefront:        ${result.storefrontDir}/<sku>/ (manifest.json lists the media)`);
  const held = result.jobs.filter((r) => r.outcome === 'REVIEW').length;
  const done = result.jobs.filter((r) => r.outcome === 'DONE').length;
  print(!result.ok ? 'some jobs did not finish' : held ? `${done} job(s) DONE, ${held} held in REVIEW for a person to approve or reject` : 'all jobs DONE');
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
