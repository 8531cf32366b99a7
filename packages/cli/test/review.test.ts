/**
 * The review hold from the command line, in-process against the real embedded pipeline (SQLite, local
 * files, provider-sharp, local storefront): the review policy of a run (--review, JOBKIT_REVIEW), a run
 * ending with jobs held in REVIEW (exit 3, not a hang), `jobkit review` list / approve / reject, and REVIEW
 * in `jobs` and `stats`. The tests share one data directory and run in order, like an operator's session.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, writePhotos } from './support/photos.js';
import { json, removeDir, runCli, storefrontFiles, tmpDir } from './support/cli.js';

interface RunJson {
  counts: { total: number; done: number; skipped: number; failed: number; held: number; pending: number; rejected: number };
  exitCode: number;
  review: { policy: string; minScore: number };
  segmenter: string;
  jobs: Array<{ id: string; sku: string; status: string; outcome: string; qualityScore: number | null; qualityReasons: string[]; heldFor: string | null }>;
  rejected: Array<{ source: string; reason: string }>;
}

interface HeldJson {
  jobs: Array<{
    id: string;
    sku: string;
    theme: string;
    quality: { score: number; reasons: string[] } | null;
    heldFor: string | null;
    heldAt: string;
    cutout: string | null;
    composites: string[];
  }>;
  total: number;
}

interface JobJson {
  id: string;
  sku: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  quality: { score: number; reasons: string[] } | null;
}

const SKUS = ['R-1', 'R-2', 'R-3'];

describe('the review hold in the CLI', () => {
  let root: string;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: root, env: { JOBKIT_DATA_DIR: 'data', ...env } });
  const out = () => path.join(root, 'out');
  const jobOf = async (sku: string) => json<{ jobs: JobJson[] }>(await cli(['jobs', '--sku', sku, '--json'])).jobs[0]!;

  beforeAll(async () => {
    root = tmpDir();
    await writePhotos(path.join(root, 'photos'), SKUS);
  });
  afterAll(() => removeDir(root));

  it('--review always holds every job: the run ends (no hang) with exit 3 and a "held for review" summary; nothing reaches the storefront', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio', '--out', 'out', '--review', 'always', '--quiet', ...FAST]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^done\s+0$/m);
    expect(r.stdout).toMatch(/^held for review\s+3 \(run `jobkit review`\)$/m);
    expect(r.stdout).toMatch(/^Held for review — not on the storefront until approved/m);
    for (const sku of SKUS) expect(r.stdout).toMatch(new RegExp(`^\\S+\\s+${sku}\\s+studio\\s+(\\d\\.\\d\\d|—)\\s+policy: every job is reviewed`, 'm'));
    for (const sku of SKUS) expect(await storefrontFiles(out(), sku)).toEqual([]);
  });

  it('re-running process on held photos keeps them held and ends at once (exit 3, counted as held)', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(r.code).toBe(3);
    const doc = json<RunJson>(r);
    expect(doc.exitCode).toBe(3);
    expect(doc.counts).toMatchObject({ total: 3, held: 3, done: 0, failed: 0, pending: 0 });
    expect(doc.review).toEqual({ policy: 'doubtful', minScore: 0.6 });
    expect(doc.jobs.every((j) => j.status === 'REVIEW' && j.outcome === 'held' && /^policy: every job is reviewed/.test(j.heldFor ?? ''))).toBe(true);
  });

  it('`jobkit review` lists the held jobs with their reasons and the files to look at', async () => {
    const r = await cli(['review', '--json']);
    expect(r.code).toBe(0);
    const doc = json<HeldJson>(r);
    expect(doc.total).toBe(3);
    expect(doc.jobs.map((j) => j.sku).sort()).toEqual(SKUS);
    for (const j of doc.jobs) {
      expect(j.heldFor).toMatch(/^policy: every job is reviewed/);
      expect(j.cutout).toMatch(/objects[/\\]masks[/\\]/);
      expect(existsSync(j.cutout!)).toBe(true);
      expect(j.composites.length).toBeGreaterThan(0);
      for (const f of j.composites) expect(existsSync(f)).toBe(true);
    }

    const table = await cli(['review']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+SKU\s+THEME\s+SCORE\s+HELD\s+REASONS$/m);
    expect(table.stdout).toMatch(/^\S+\s+R-1\s+studio\s+(\d\.\d\d|—)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+policy: every job is reviewed/m);
    expect(table.stdout).toMatch(/^1–3 of 3 waiting for review$/m);
    expect((await cli(['review', 'list', '--sku', 'R-2', '--json'])).stdout).toContain('"total": 1');
  });

  it('jobs --status review and stats show the held jobs', async () => {
    const held = json<{ jobs: JobJson[]; total: number }>(await cli(['jobs', '--status', 'review', '--json']));
    expect(held.total).toBe(3);
    const table = await cli(['jobs', '--status', 'REVIEW']);
    expect(table.stdout).toMatch(/^ID\s+SKU\s+THEME\s+STATUS\s+SCORE\s+TRIES/m);
    expect(table.stdout).toMatch(/\sREVIEW\s+(\d\.\d\d|—)\s+0\s/);
    const stats = await cli(['stats']);
    expect(stats.stdout).toMatch(/^REVIEW\s+3$/m);
    expect(stats.stdout).toMatch(/^quality\s+/m);
    expect(json<{ byStatus: Record<string, number> }>(await cli(['stats', '--json'])).byStatus.REVIEW).toBe(3);
  });

  it('review approve runs the job on to the storefront (exit 0); approving it again is INVALID_TRANSITION (exit 1)', async () => {
    const job = await jobOf('R-1');
    const r = await cli(['review', 'approve', job.id, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = json<RunJson & { action: string; reviewed: Array<{ id: string; status: string }> }>(r);
    expect(doc).toMatchObject({ action: 'approve', reviewed: [{ id: job.id, status: 'SHOPIFY_PUSH' }], counts: { total: 1, done: 1 } });
    expect((await jobOf('R-1')).status).toBe('DONE');
    expect(await storefrontFiles(out(), 'R-1')).toEqual([expect.stringMatching(/^studio_1x1_1_[A-Za-z0-9_-]+\.jpg$/)]);

    const again = await cli(['review', 'approve', job.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: ${job.id}: INVALID_TRANSITION: cannot approve job ${job.id}: it is DONE, not waiting in REVIEW`);
    expect(again.stdout).toMatch(/^Approved 0 jobs; 1 could not be approved\.$/m);
    const unknown = json(await cli(['review', 'approve', 'no-such-job-000000000', '--json']));
    expect(unknown).toMatchObject({ errors: [{ id: 'no-such-job-000000000', code: 'NOT_FOUND' }], exitCode: 1, ran: false });
  });

  it('review reject fails the job with REJECTED and the reason; it never reaches the storefront; retry --all-failed leaves it alone', async () => {
    const job = await jobOf('R-2');
    const r = await cli(['review', 'reject', job.id, '--reason', 'cap cut off']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Rejected 1 job \(FAILED with REJECTED; they stay off the storefront\)\.$/m);
    expect(await jobOf('R-2')).toMatchObject({ status: 'FAILED', errorCode: 'REJECTED', errorMessage: 'cap cut off' });
    expect(await storefrontFiles(out(), 'R-2')).toEqual([]);

    const retry = await cli(['retry', '--all-failed']);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^No failed jobs\.$/m);
    expect((await jobOf('R-2')).status).toBe('FAILED');
    // Rejecting what is no longer in REVIEW is INVALID_TRANSITION.
    const twice = await cli(['review', 'reject', job.id, '--reason', 'again', '--json']);
    expect(twice.code).toBe(1);
    expect(json(twice)).toMatchObject({ action: 'reject', reviewed: [], errors: [{ id: job.id, code: 'INVALID_TRANSITION' }] });
  });

  it('review approve --queue-only only approves; the next process run pushes the job', async () => {
    const job = await jobOf('R-3');
    const r = await cli(['review', 'approve', job.id, '--queue-only']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Approved 1 job \(queued for the storefront/m);
    expect((await jobOf('R-3')).status).toBe('SHOPIFY_PUSH');
    expect(await storefrontFiles(out(), 'R-3')).toEqual([]);

    const run = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(run.code).toBe(1); // R-2 stays FAILED (rejected): the run reports it
    // The worker starts before the photos are enqueued, so it may push R-3 before the run looks at it (then skipped).
    const counts = json<RunJson>(run).counts;
    expect(counts).toMatchObject({ total: 3, failed: 1, held: 0, pending: 0 });
    expect(counts.done + counts.skipped).toBe(2);
    expect((await jobOf('R-3')).status).toBe('DONE');
    expect((await storefrontFiles(out(), 'R-3')).length).toBe(1);
  });

  it('retry <id> of a rejected job puts it back in REVIEW: the run ends held (exit 3)', async () => {
    const job = await jobOf('R-2');
    const r = await cli(['retry', job.id, '--json', '--quiet']);
    expect(r.code).toBe(3);
    expect(json<RunJson>(r).counts).toMatchObject({ total: 1, held: 1 });
    expect((await jobOf('R-2')).status).toBe('REVIEW');
  });

  it('JOBKIT_REVIEW=never publishes without review; --review beats the variable; a bad value is a usage error', async () => {
    await writePhotos(path.join(root, 'more'), ['N-1'], 5);
    const never = await cli(['process', 'more', '--theme', 'studio', '--json', '--quiet'], { JOBKIT_REVIEW: 'never' });
    expect(never.code).toBe(0);
    const doc = json<RunJson>(never);
    expect(doc.review.policy).toBe('never');
    expect(doc.counts).toMatchObject({ done: 1, held: 0 });

    await writePhotos(path.join(root, 'more'), ['N-2'], 6);
    const flagWins = await cli(['process', 'more', '--theme', 'studio', '--review', 'always', '--json', '--quiet'], { JOBKIT_REVIEW: 'never' });
    expect(flagWins.code).toBe(3);
    expect(json<RunJson>(flagWins).counts).toMatchObject({ skipped: 1, held: 1 });

    const bad = await cli(['process', 'more', '--quiet'], { JOBKIT_REVIEW: 'sometimes' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/JOBKIT_REVIEW must be one of doubtful, always, never, got "sometimes"/);
    const badScore = await cli(['process', 'more', '--quiet'], { JOBKIT_REVIEW_MIN_SCORE: '1.5' });
    expect(badScore.code).toBe(2);
    expect(badScore.stderr).toMatch(/JOBKIT_REVIEW_MIN_SCORE must be a number between 0 and 1, got "1.5"/);
  });

  it('under the default policy a job is held exactly when its cut scores below the threshold (or was not scored)', async () => {
    await writePhotos(path.join(root, 'doubt'), ['D-1', 'D-2'], 7);
    for (const threshold of ['0.6', '1']) {
      const dir = `data-${threshold}`;
      const r = await runCli(['process', 'doubt', '--theme', 'studio', '--review-min-score', threshold, '--json', '--quiet', ...FAST], {
        cwd: root,
        env: { JOBKIT_DATA_DIR: dir },
      });
      const doc = json<RunJson>(r);
      expect(doc.counts.failed).toBe(0);
      expect(doc.review).toEqual({ policy: 'doubtful', minScore: Number(threshold) });
      for (const j of doc.jobs) {
        const doubtful = j.qualityScore === null || j.qualityScore < Number(threshold);
        expect(j.status).toBe(doubtful ? 'REVIEW' : 'DONE');
      }
      expect(r.code).toBe(doc.counts.held > 0 ? 3 : 0);
    }
  });
});
