/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against the example-style
 * stack (SQLite + local files + sharp + worker, review policy "always") served by toNodeHandler on
 * node:http (the route suites cover every transport; this runs once). Screenshots go to a temp directory,
 * or to docs/ with UPDATE_SCREENSHOTS=1:
 *
 *   UPDATE_SCREENSHOTS=1 npx vitest run --project http test/dashboard.browser.test.ts
 *
 * (SCREENSHOTS_DIR=/some/dir keeps them there instead.)
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'jobkit';
import { productPhoto, startDashboardStack, type DashboardStack } from './support/dashboard-stack.js';
import { TOKEN } from './support/servers.js';

const CHROMIUM = '/usr/bin/chromium';
// Locally a missing browser is a loud skip; in CI it fails the suite.
const missing = !existsSync(CHROMIUM);
if (missing && !process.env['CI']) console.warn(`SKIPPED dashboard browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const here = path.dirname(fileURLToPath(import.meta.url));
const DOCS = path.resolve(here, '../../../docs');

describe.skipIf(missing && !process.env['CI'])('dashboard in chromium', () => {
  let stack: DashboardStack;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let shots: string;
  const consoleErrors: string[] = [];
  const jobs: Record<'ball' | 'box' | 'mug' | 'corrupt' | 'stopped', Job> = {} as never;

  beforeAll(async () => {
    if (missing) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (apt-get install -y chromium)`);
    // Every cut waits in REVIEW: the test approves and rejects through the review queue.
    // A stand-in gate with a fixed verdict, so every cut has a score to show (when the segmenter gives none).
    const qualityGate = { name: 'fixed', assess: async () => ({ score: 0.52, reasons: ['fragments: the cutout has 3 separate pieces'] }) };
    stack = await startDashboardStack({ service: { review: 'always' }, qualityGate });
    profile = await mkdtemp(path.join(tmpdir(), 'jobkit-chromium-'));
    shots = process.env['UPDATE_SCREENSHOTS'] === '1' ? DOCS : (process.env['SCREENSHOTS_DIR'] ?? (await mkdtemp(path.join(tmpdir(), 'jobkit-shots-'))));
    await mkdir(shots, { recursive: true });

    // Three photos through the worker to REVIEW (one approved here, so it goes on to DONE), one whose bytes do
    // not match its sha256 (FAILED by the worker), one failed by an operator before it started.
    const [ball, box, mug, corrupt] = await Promise.all([0, 1, 2, 3].map((i) => productPhoto(i)));
    jobs.ball = await stack.addJob({ sku: 'BALL-1001', bytes: ball! });
    jobs.box = await stack.addJob({ sku: 'BOX-2002', theme: 'warm', bytes: box! });
    jobs.mug = await stack.addJob({ sku: 'MUG-3003', theme: 'slate', bytes: mug! });
    jobs.corrupt = await stack.addJob({ sku: 'VASE-4004', bytes: corrupt!, sha256: 'f'.repeat(64) });
    jobs.stopped = await stack.addJob({ sku: 'LAMP-5005', theme: 'studio', bytes: await productPhoto(4), start: false });
    await stack.service.failJob(jobs.stopped.id, { code: 'SEGMENT_FAILED', message: 'AI provider timed out' });
    const held = await stack.settle([jobs.ball.id, jobs.box.id, jobs.mug.id, jobs.corrupt.id], 90_000);
    expect(held.map((j) => j.status)).toEqual(['REVIEW', 'REVIEW', 'REVIEW', 'FAILED']);
    await stack.service.approveJob(jobs.ball.id);
    stack.worker.wake();
    expect((await stack.settle([jobs.ball.id])).map((j) => j.status)).toEqual(['DONE']);

    // A fresh --user-data-dir: Playwright passes it for a persistent context.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} @ ${msg.location().url}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    await stack?.close();
    await rm(profile, { recursive: true, force: true });
    if (shots && shots !== DOCS && !process.env['SCREENSHOTS_DIR']) await rm(shots, { recursive: true, force: true });
  });

  const allImagesLoaded = (selector: string) =>
    page.waitForFunction((sel) => {
      const imgs = Array.from(document.querySelectorAll<HTMLImageElement>(sel));
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, selector);

  const screenshot = async (name: string) => {
    const file = path.join(shots, `dashboard-${name}.png`);
    await page.screenshot({ path: file });
    expect((await stat(file)).size).toBeLessThan(300 * 1024);
  };

  it('redirects to the login page, sends the CSP, and refuses a wrong token', async () => {
    const res = await page.goto(`${stack.dashboard}/`);
    expect(page.url()).toBe(`${stack.dashboard}/login`);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    await screenshot('login');

    await page.fill('#token', 'definitely-not-the-api-token');
    const [wrong] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(wrong!.status()).toBe(401);
    expect(page.url()).toBe(`${stack.dashboard}/login`);
    await expect(page.textContent('#login-error')).resolves.toContain('not valid');
    expect((await context.cookies()).filter((c) => c.name === 'jobkit_session')).toHaveLength(0);
  });

  it('signs in with the token and lists the jobs with counts and thumbnails', async () => {
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${stack.dashboard}/`), page.click('button[type=submit]')]);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'jobkit_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard', secure: false });

    const rows = page.locator('table.jobs tbody tr');
    await expect(rows.count()).resolves.toBe(5);
    const text = await page.textContent('table.jobs');
    for (const sku of ['BALL-1001', 'BOX-2002', 'MUG-3003', 'VASE-4004', 'LAMP-5005']) expect(text).toContain(sku);
    await expect(page.textContent(`tr[data-job="${jobs.corrupt.id}"] .chip`)).resolves.toBe('FAILED');
    await expect(page.textContent(`tr[data-job="${jobs.ball.id}"] .chip`)).resolves.toBe('DONE');
    await expect(page.textContent(`tr[data-job="${jobs.box.id}"] .chip`)).resolves.toBe('REVIEW');
    // Thumbnails of the three composited jobs, through presigned /api/files URLs.
    await allImagesLoaded('table.jobs img.thumb');
    await expect(page.locator('table.jobs img.thumb').count()).resolves.toBe(3);
    const src = await page.getAttribute('table.jobs img.thumb', 'src');
    expect(src).toMatch(new RegExp(`^${stack.url}/api/files/thumbs/`));
    const cards = await page.textContent('.cards');
    expect(cards).toContain('Failure rate');
    expect(cards).toContain('66.7%'); // 2 failed of 3 finished
    await screenshot('jobs');

    // Filters: status and SKU.
    await page.selectOption('select[name=status]', 'FAILED');
    await Promise.all([page.waitForURL(/status=FAILED/), page.click('form.filters button[type=submit]')]);
    await expect(rows.count()).resolves.toBe(2);
    await page.goto(`${stack.dashboard}/?sku=MUG-3003`);
    await expect(rows.count()).resolves.toBe(1);
  });

  it('shows a job: original, cutout on a checkerboard, backgrounds, every composite and the history', async () => {
    await page.goto(`${stack.dashboard}/`);
    await Promise.all([page.waitForURL(`${stack.dashboard}/jobs/${jobs.ball.id}`), page.click(`a[href$="/jobs/${jobs.ball.id}"]`)]);
    const job = await stack.service.requireJob(jobs.ball.id);
    expect(job.compositeKeys).toHaveLength(4);
    await allImagesLoaded('.composites img');
    const composites = await page.$$eval('.composites img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(composites).toHaveLength(job.compositeKeys.length);
    for (const w of composites) expect(w).toBeGreaterThan(0);
    await allImagesLoaded('img');
    expect(await page.$$eval('img.checker', (imgs) => imgs.map((i) => getComputedStyle(i).backgroundImage))).toEqual([
      expect.stringContaining('linear-gradient'),
    ]);
    const captions = await page.textContent('.composites');
    for (const label of ['1x1', '4x5', 'variant 1', 'variant 2']) expect(captions).toContain(label);
    const history = await page.textContent('table.history');
    for (const status of ['QUEUED', 'SEGMENTING', 'BG GENERATING', 'COMPOSITING', 'SHOPIFY PUSH', 'DONE']) expect(history).toContain(status);
    await screenshot('job');

    // The cutout's quality, with what the gate said.
    await expect(page.textContent('.facts')).resolves.toContain('Cutout quality');
    // (The segmenter's own verdict when it gives one, else the stack's fixed-verdict gate.)
    const quality = (await stack.service.requireJob(jobs.ball.id)).quality!;
    expect(quality).not.toBeNull();
    await expect(page.textContent('.facts .quality')).resolves.toBe(`${(quality.score * 100).toFixed(0)} %`);
    if (quality.reasons.length > 0) await expect(page.textContent('.facts .reasons')).resolves.toContain(quality.reasons[0]);
    await page.goto(`${stack.dashboard}/jobs/${jobs.corrupt.id}`);
    await expect(page.textContent('.errorbox')).resolves.toContain('CHECKSUM_MISMATCH');
  });

  it('review queue: each held cut on a checkerboard beside its composites, with its reasons; approve and reject with CSRF', async () => {
    await page.goto(`${stack.dashboard}/review`);
    const items = page.locator('section.review-item');
    await expect(items.count()).resolves.toBe(2);
    await allImagesLoaded('section.review-item img');
    for (const id of [jobs.box.id, jobs.mug.id]) {
      const item = `section.review-item[data-job="${id}"]`;
      expect(await page.$$eval(`${item} img.checker`, (imgs) => imgs.map((i) => getComputedStyle(i).backgroundImage))).toEqual([
        expect.stringContaining('linear-gradient'),
      ]);
      expect(await page.locator(`${item} .gallery img:not(.checker)`).count()).toBeGreaterThan(0);
      await expect(page.textContent(`${item} .held`)).resolves.toContain('every job is reviewed');
      const quality = (await stack.service.requireJob(id)).quality!;
      await expect(page.getAttribute(`${item} .quality`, 'data-score')).resolves.toBe(String(quality.score));
      if (quality.reasons.length > 0) await expect(page.textContent(`${item} .reasons`)).resolves.toContain(quality.reasons[0]);
    }
    // No hosted segmenter configured: the reject form offers no "retry with hosted segmenter".
    expect(await page.locator('input[name=retryWith]').count()).toBe(0);
    await screenshot('review');

    // A forged POST (valid session, no CSRF token) changes nothing.
    const forged = await page.request.post(`${stack.dashboard}/jobs/${jobs.box.id}/approve`, { form: { from: 'review' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await stack.service.requireJob(jobs.box.id)).status).toBe('REVIEW');

    await Promise.all([page.waitForNavigation(), page.click(`section.review-item[data-job="${jobs.box.id}"] button[data-action=approve]`)]);
    expect(page.url()).toBe(`${stack.dashboard}/review`);
    await expect(page.textContent('.flash.ok')).resolves.toContain('approved');
    await expect(items.count()).resolves.toBe(1);

    await page.fill(`section.review-item[data-job="${jobs.mug.id}"] input[name=reason]`, 'the handle is cut off');
    await Promise.all([page.waitForNavigation(), page.click(`section.review-item[data-job="${jobs.mug.id}"] button[data-action=reject]`)]);
    await expect(page.textContent('.flash.ok')).resolves.toContain('rejected');
    await expect(page.textContent('.empty-state')).resolves.toContain('Nothing waits for review');
    expect(await stack.service.requireJob(jobs.mug.id)).toMatchObject({ status: 'FAILED', errorCode: 'REJECTED', errorMessage: 'the handle is cut off' });
    expect((await stack.settle([jobs.box.id])).map((j) => j.status)).toEqual(['DONE']);
  }, 90_000);

  it('refuses a POST without the CSRF token (403) and leaves the job alone', async () => {
    // page.request shares the browser's cookies: the session is valid, only the CSRF token is missing.
    const res = await page.request.post(`${stack.dashboard}/jobs/${jobs.stopped.id}/retry`, { form: { note: 'x' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const wrong = await page.request.post(`${stack.dashboard}/jobs/${jobs.stopped.id}/retry`, { form: { _csrf: 'forged-token' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect((await stack.service.requireJob(jobs.stopped.id)).status).toBe('FAILED');
  });

  it('retries a failed job with its button, starts it, and follows it to REVIEW without a reload', async () => {
    await page.goto(`${stack.dashboard}/jobs/${jobs.stopped.id}`);
    await expect(page.textContent('.jobhead .chip')).resolves.toBe('FAILED');
    await Promise.all([page.waitForNavigation(), page.click('button[data-action=retry]')]);
    await expect(page.textContent('.flash.ok')).resolves.toContain('retried');
    await expect(page.textContent('.jobhead .chip')).resolves.toBe('NEW');
    expect((await stack.service.requireJob(jobs.stopped.id)).status).toBe('NEW');

    await Promise.all([page.waitForNavigation(), page.click('button[data-action=start]')]);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    // The page polls and swaps its live region: REVIEW (policy "always") and the composites appear with no navigation.
    await page.waitForFunction(() => document.querySelector('.jobhead .chip')?.textContent === 'REVIEW', undefined, { timeout: 60_000, polling: 200 });
    await allImagesLoaded('.composites img');
    expect(await page.locator('.composites img').count()).toBe(4);
    expect(navigations).toBe(0);
    await expect(page.textContent('#live-status')).resolves.toMatch(/^Live/);
  }, 90_000);

  it('logs out (the session is gone server-side), and produced no console errors', async () => {
    await page.goto(`${stack.dashboard}/`);
    await Promise.all([page.waitForURL(`${stack.dashboard}/login`), page.click('header button[type=submit]')]);
    const api = await page.request.get(`${stack.dashboard}/api/overview`);
    expect(api.status()).toBe(401);
    // The only console line: Chromium reporting the deliberate 401 of the wrong-token sign-in.
    expect(consoleErrors).toEqual([`Failed to load resource: the server responded with a status of 401 (Unauthorized) @ ${stack.dashboard}/login`]);
  });
});
