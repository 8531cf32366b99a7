/** The dashboard over plain HTTP: sessions, CSRF, headers, escaping, JSON endpoints (the browser test covers the UI). */
import { afterEach, describe, expect, it } from 'vitest';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, type JobService, type JobServiceOptions, type Logger } from 'jobkit';
import { createFakeClock, type FakeClock } from 'jobkit/testing';
import { createDashboardHandler, html, SafeHtml, type DashboardOptions } from '../src/index.js';
import { SCRIPT, STYLESHEET } from '../src/dashboard/assets.js';
import { TOKEN, TOKEN_2 } from './support/servers.js';
import { TRANSPORTS, type Transport } from './support/transports.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

async function start(
  t: Transport,
  options: Partial<DashboardOptions> = {},
  serviceOptions: Partial<JobServiceOptions> = {},
): Promise<{
  base: string;
  fetch: Fetch;
  service: JobService;
  clock: FakeClock;
  queued: string[];
  createJob: (sku: string) => ReturnType<JobService['createJob']>;
}> {
  const clock = createFakeClock('2026-05-01T10:00:00.000Z');
  const objects = createMemoryObjectStore();
  const service = createJobService({ store: createMemoryJobStore(), clock, objects, ...serviceOptions });
  const queued: string[] = [];
  // Jobs from "uploaded" originals: the service checks that the original is in the object store.
  const createJob = async (sku: string) => {
    await objects.put(`originals/${sku}/${SHA}.jpg`, Buffer.from(`photo ${sku}`));
    return service.createJob({ sku, sha256: SHA, originalKey: `originals/${sku}/${SHA}.jpg` });
  };
  const served = await t.serve(() => [
    { at: '/ops', dashboard: { service, objects, auth: { tokens: [TOKEN, TOKEN_2] }, onJobQueued: (j) => queued.push(j.id), ...options } },
  ]);
  closers.push(() => served.close());
  return { base: `${served.url}/ops`, fetch: served.fetch, service, clock, queued, createJob };
}

const form = (data: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(data).toString() });

async function login(fetch: Fetch, base: string, token = TOKEN): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const { body, ...headers } = form({ token });
  const res = await fetch(`${base}/login`, { method: 'POST', headers, body, redirect: 'manual' });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/ops/');
  const setCookie = res.headers.get('set-cookie')!;
  const cookie = setCookie.split(';')[0]!;
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  return { cookie, csrf, setCookie };
}

const SHA = 'b'.repeat(64);

describe.each(TRANSPORTS)('dashboard over HTTP ($name)', (t) => {
  it('login sets an HttpOnly SameSite=Strict cookie scoped to the mount path; Secure when asked', async () => {
    const { base, fetch } = await start(t);
    const { setCookie } = await login(fetch, base);
    expect(setCookie).toMatch(/^jobkit_session=[A-Za-z0-9_-]{43}; Path=\/ops; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    // Any of the configured tokens works (rotation).
    await login(fetch, base, TOKEN_2);

    const forced = await start(t, { secureCookie: true });
    expect((await login(forced.fetch, forced.base)).setCookie).toMatch(/; Secure$/);
  });

  it('without a session: pages redirect to the login page, JSON endpoints answer 401', async () => {
    const { base, fetch } = await start(t);
    const page = await fetch(`${base}/`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ops/login');
    const api = await fetch(`${base}/api/overview`, { headers: { cookie: 'jobkit_session=forged' } });
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'sign in to the dashboard first' } });
    const post = await fetch(`${base}/jobs/x/retry`, { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(303);
    // The bearer token itself is not a dashboard session.
    expect((await fetch(`${base}/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
  });

  it('security headers on every page; assets are hashed and immutable', async () => {
    const { base, fetch } = await start(t);
    const res = await fetch(`${base}/login`);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const text = await res.text();
    expect(text).not.toMatch(/<script>|<style>| style=| on[a-z]+=/);
    expect(text).toContain(`/ops/assets/${SCRIPT.name}`);
    const js = await fetch(`${base}/assets/${SCRIPT.name}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('DOMParser');
    expect((await fetch(`${base}/assets/${STYLESHEET.name}`)).status).toBe(200);
    expect((await fetch(`${base}/assets/app.js`, { redirect: 'manual' })).status).toBe(303); // unknown asset → behind the session
  });

  it('throttles wrong tokens (429 past the limit) but never refuses the right one', async () => {
    const logged: Array<Record<string, unknown> & { msg: string }> = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (obj, msg) => void logged.push({ ...obj, msg: msg ?? '' }), child: () => logger };
    const { base, fetch } = await start(t, { maxLoginFailuresPerMinute: 3, logger });
    const { body, ...headers } = form({ token: 'wrong-token-wrong-token' });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/login`, { method: 'POST', headers, body });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('That token is not valid.');
    }
    const limited = await fetch(`${base}/login`, { method: 'POST', headers, body, redirect: 'manual' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Every client here shares one address (as behind a proxy without trust proxy): the operator still gets in.
    const right = await fetch(`${base}/login`, { method: 'POST', headers, body: new URLSearchParams({ token: TOKEN }).toString(), redirect: 'manual' });
    expect(right.status).toBe(303);
    expect(right.headers.get('set-cookie')).toMatch(/^jobkit_session=/);
    // Every transport knows the client's address (direct: the test's clientAddress; Hono: its env's socket).
    if (t.name !== 'direct') {
      const failed = logged.filter((l) => l.msg === 'dashboard sign-in refused');
      expect(failed.length).toBeGreaterThan(0);
      for (const l of failed) expect(l.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    }
    // A right sign-in clears the address's failures.
    expect((await fetch(`${base}/login`, { method: 'POST', headers, body, redirect: 'manual' })).status).toBe(401);
  });

  it('every POST needs the session CSRF token: form field or x-csrf-token header', async () => {
    const { base, fetch, service, queued, createJob } = await start(t);
    const { job } = await createJob('CSRF-1');
    const { cookie, csrf } = await login(fetch, base);
    const other = await login(fetch, base);
    expect(other.csrf).not.toBe(csrf);

    for (const data of [{}, { _csrf: 'nope' }, { _csrf: other.csrf }] as Array<Record<string, string>>) {
      const { body, ...headers } = form(data);
      const res = await fetch(`${base}/jobs/${job.id}/start`, { method: 'POST', headers: { ...headers, cookie }, body, redirect: 'manual' });
      expect(res.status).toBe(403);
    }
    expect((await service.requireJob(job.id)).status).toBe('NEW');

    const { body, ...headers } = form({ _csrf: csrf });
    const ok = await fetch(`${base}/jobs/${job.id}/start`, { method: 'POST', headers: { ...headers, cookie }, body, redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/ops/jobs/${job.id}`);
    expect((await service.requireJob(job.id)).status).toBe('QUEUED');
    expect(queued).toEqual([job.id]);
    const flash = await (await fetch(`${base}/jobs/${job.id}`, { headers: { cookie } })).text();
    expect(flash).toContain('Job started');

    // fetch-style: header token, JSON answer; a refused transition is a JSON 409.
    const fail = await fetch(`${base}/jobs/${job.id}/fail`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json' } });
    expect(fail.status).toBe(200);
    expect(((await fail.json()) as { job: { status: string } }).job.status).toBe('FAILED');
    const again = await fetch(`${base}/jobs/${job.id}/fail`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json' } });
    expect(again.status).toBe(409);
    // From a form, the refusal comes back as a message on the job page.
    const fresh = (await createJob('CSRF-2')).job;
    const refused = await fetch(`${base}/jobs/${fresh.id}/retry`, { method: 'POST', headers: { ...headers, cookie }, body, redirect: 'manual' });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe(`/ops/jobs/${fresh.id}`);
    expect(await (await fetch(`${base}/jobs/${fresh.id}`, { headers: { cookie } })).text()).toMatch(
      /class="flash error"[^>]*>[^<]*only FAILED jobs can be retried/,
    );

    // Logout needs the token too, and ends the session server-side.
    const noToken = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(noToken.status).toBe(403);
    const out = await fetch(`${base}/logout`, { method: 'POST', headers: { ...headers, cookie }, body, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${base}/api/overview`, { headers: { cookie } })).status).toBe(401);
  });

  it('review queue: lists held cuts with their reasons; approve and reject need the CSRF token', async () => {
    const { base, fetch, service, queued, createJob } = await start(t, {}, { review: 'always' });
    const hold = async (sku: string) => {
      const { job } = await createJob(sku);
      await service.startJob(job.id, { driver: 'external' });
      await service.completeSegmentation(job.id, {
        maskKey: `masks/${sku}/${SHA}.png`,
        quality: { score: 0.41, reasons: ['low-coverage: the product covers 0.4 % of the frame'] },
      });
      await service.completeBackgrounds(job.id, { backgroundKeys: [`backgrounds/default/${sku}/${SHA}_1.jpg`] });
      return service.completeComposite(job.id, { compositeKeys: [`composites/default/${sku}/${SHA}_1x1_1_master.jpg`] });
    };
    const a = await hold('REVIEW-A');
    const b = await hold('REVIEW-B');
    expect([a.status, b.status]).toEqual(['REVIEW', 'REVIEW']);
    const { cookie, csrf } = await login(fetch, base);
    const queue = await fetch(`${base}/review`, { headers: { cookie } });
    expect(queue.status).toBe(200);
    const text = await queue.text();
    for (const job of [a, b]) expect(text).toContain(`data-job="${job.id}"`);
    expect(text).toContain('low-coverage: the product covers 0.4 % of the frame');
    expect(text).toContain('class="quality doubtful" data-score="0.41"');
    expect(text).not.toContain('name="retryWith"'); // no hosted segmenter configured
    expect(((await (await fetch(`${base}/api/review`, { headers: { cookie } })).json()) as { total: number }).total).toBe(2);

    const post = (id: string, action: string, data: Record<string, string>) => {
      const { body, ...headers } = form(data);
      return fetch(`${base}/jobs/${id}/${action}`, { method: 'POST', headers: { ...headers, cookie }, body, redirect: 'manual' });
    };
    expect((await post(a.id, 'approve', { from: 'review' })).status).toBe(403);
    expect((await post(b.id, 'reject', { from: 'review', reason: 'wrong', _csrf: 'forged' })).status).toBe(403);
    expect((await service.requireJob(a.id)).status).toBe('REVIEW');

    const approved = await post(a.id, 'approve', { from: 'review', _csrf: csrf });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe('/ops/review');
    expect((await service.requireJob(a.id)).status).toBe('SHOPIFY_PUSH');
    expect(queued).toEqual([]); // an external job: no worker to wake
    // A reject without a reason is refused with a message, and changes nothing.
    expect((await post(b.id, 'reject', { _csrf: csrf, reason: ' ' })).status).toBe(303);
    expect(await (await fetch(`${base}/jobs/${b.id}`, { headers: { cookie } })).text()).toMatch(/class="flash error"[^>]*>[^<]*give a reason/);
    expect((await service.requireJob(b.id)).status).toBe('REVIEW');
    expect((await post(b.id, 'reject', { _csrf: csrf, reason: 'the cap is missing' })).status).toBe(303);
    expect(await service.requireJob(b.id)).toMatchObject({ status: 'FAILED', errorCode: 'REJECTED', errorMessage: 'the cap is missing' });
    // The job page shows the score and the reasons.
    const page = await (await fetch(`${base}/jobs/${b.id}`, { headers: { cookie } })).text();
    expect(page).toContain('Cutout quality');
    expect(page).toContain('low-coverage: the product covers 0.4 % of the frame');
    expect(await (await fetch(`${base}/review`, { headers: { cookie } })).text()).toContain('Nothing waits for review');
  });

  it('offers "retry with hosted segmenter" when the service has one', async () => {
    const { base, fetch, service, createJob } = await start(t, {}, { review: 'always', hostedSegmenter: true });
    const { job } = await createJob('HOSTED-1');
    await service.startJob(job.id, { driver: 'external' });
    await service.completeSegmentation(job.id, { maskKey: `masks/HOSTED-1/${SHA}.png` });
    await service.completeBackgrounds(job.id, { backgroundKeys: ['backgrounds/1.jpg'] });
    await service.completeComposite(job.id, { compositeKeys: ['composites/1.jpg'] });
    const { cookie } = await login(fetch, base);
    for (const path of ['/review', `/jobs/${job.id}`]) {
      expect(await (await fetch(`${base}${path}`, { headers: { cookie } })).text()).toContain('name="retryWith" value="hosted"');
    }
  });

  it('escapes every value (error messages are attacker-controlled through the API)', async () => {
    const { base, fetch, service, createJob } = await start(t);
    const { job } = await createJob('XSS-1');
    const evil = `<img src=x onerror="alert(1)"> & '"`;
    await service.failJob(job.id, { code: 'SEGMENT_FAILED', message: evil });
    const { cookie } = await login(fetch, base);
    const page = await (await fetch(`${base}/jobs/${job.id}`, { headers: { cookie } })).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;&quot;');
    const list = await (await fetch(`${base}/?sku=${encodeURIComponent('"><script>')}`, { headers: { cookie } })).text();
    expect(list).not.toContain('"><script>');
    expect(list).toContain('Invalid filter');
  });

  it('sessions expire; the overview JSON carries a fingerprint that changes with the jobs', async () => {
    const { base, fetch, clock, createJob } = await start(t, { sessionTtlMs: 60_000 });
    const { cookie } = await login(fetch, base);
    const first = (await (await fetch(`${base}/api/overview`, { headers: { cookie } })).json()) as { fingerprint: string; total: number };
    expect(first.total).toBe(0);
    await createJob('FP-1');
    const second = (await (await fetch(`${base}/api/overview`, { headers: { cookie } })).json()) as {
      fingerprint: string;
      total: number;
      jobs: Array<{ sku: string }>;
    };
    expect(second.total).toBe(1);
    expect(second.jobs[0]!.sku).toBe('FP-1');
    expect(second.fingerprint).not.toBe(first.fingerprint);
    clock.advance(61_000);
    expect((await fetch(`${base}/api/overview`, { headers: { cookie } })).status).toBe(401);
  });

  it('unknown jobs are a 404 page; bad options fail at creation', async () => {
    const { base, fetch } = await start(t);
    const { cookie } = await login(fetch, base);
    const res = await fetch(`${base}/jobs/AAAAAAAAAAAAAAAAAAAAA`, { headers: { cookie } });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Not found');
    const service = createJobService({ store: createMemoryJobStore() });
    const objects = createMemoryObjectStore();
    expect(() => createDashboardHandler({ service, objects, auth: { tokens: ['short'] } })).toThrow(/auth\.tokens\.0/);
    expect(() => createDashboardHandler({ service, objects, auth: { tokens: [TOKEN] }, imageOrigins: ['javascript:alert(1)'] })).toThrow(/imageOrigins\.0/);
    expect(() => createDashboardHandler({ service, objects, auth: { tokens: [TOKEN] }, pollIntervalMs: 10 })).toThrow(/pollIntervalMs/);
  });
});

describe('html tag', () => {
  it('escapes interpolations, keeps nested templates, joins arrays, drops null/false', () => {
    const items = ['<a>', html`<b>${'&'}</b>`];
    const out = html`<p title="${`"'`}">${items}${null}${false}${undefined}${0}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.value).toBe('<p title="&quot;&#39;">&lt;a&gt;<b>&amp;</b>0</p>');
  });
});
