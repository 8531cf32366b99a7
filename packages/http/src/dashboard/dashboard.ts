/**
 * The operator dashboard: server-rendered HTML plus one small script that polls a JSON endpoint and swaps
 * the live region; no build step, no external assets. Mount it next to the API (e.g. at /dashboard, with
 * `createDashboardHandler` or the `dashboard` option of `createJobkitHandler`).
 *
 * Security model: the API token is exchanged (POST /login) for a random session id in an HttpOnly,
 * SameSite=Strict cookie; sessions live in memory with an absolute expiry. Every POST carries the
 * session's CSRF token (form field `_csrf` or header `x-csrf-token`), compared in constant time. Pages
 * send a strict CSP without inline scripts or styles. Failed sign-ins are throttled per client address
 * without ever refusing a right token (login-throttle.ts).
 */
import { createHash } from 'node:crypto';
import { JobkitError, invalidInput, isJobStatus, type Job, type JobService, type Logger, type ObjectStore } from 'jobkit';
import { resolveAuth, tokenMatches, type AuthOptions } from '../auth.js';
import { readForm } from '../body.js';
import { errorResponse, logHttpError, toHttpError } from '../errors.js';
import { htmlResponse, jsonResponse, redirect, withDefaultHeaders, type JobkitRequest, type JobkitResponse } from '../exchange.js';
import { intOption } from '../int-option.js';
import { createMatcher, decodeParam, type Params, type Route } from '../router.js';
import { isRunnable } from '../routes/jobs.js';
import { ASSETS } from './assets.js';
import type { SafeHtml } from './html.js';
import { createLoginThrottle } from './login-throttle.js';
import { createSessionStore, readCookie, safeEqual, serializeCookie, type Session } from './sessions.js';
import { errorPage, jobPage, jobsPage, listQuery, loginPage, reviewPage, type ImageRef, type JobsFilter, type PageContext, type ReviewItem } from './views.js';

/** Everything but the service, store and tokens (which a combined handler shares with the API). */
export interface DashboardSettings {
  /** Default: the service's logger. */
  logger?: Logger;
  /** Called when a job became runnable (started, retried or approved from the dashboard): e.g. `() => worker.wake()`. */
  onJobQueued?: (job: Job) => void;
  /** Title in the header (default "jobkit"). */
  title?: string;
  /** Session lifetime, ms (default 8 h). Absolute, not sliding. */
  sessionTtlMs?: number;
  /** Sessions kept at most; the oldest is dropped beyond (default 1000). */
  maxSessions?: number;
  /** `Secure` cookie flag: 'auto' (default) = when the request is https (Express: `req.secure`, honours `trust proxy`). */
  secureCookie?: boolean | 'auto';
  /** Lifetime of the image URLs on a page, seconds (default 300). Pages re-render them on every refresh. */
  imageUrlExpiresInSec?: number;
  /** How often the page polls for changes, ms (default 3000). */
  pollIntervalMs?: number;
  /** Jobs per page (default 25). */
  pageSize?: number;
  /** Extra origins allowed in img-src (the origins of presigned URLs on a page are added automatically). */
  imageOrigins?: string[];
  /**
   * Wrong tokens per client address per minute before further wrong tokens get 429 (default 10). A right
   * token always signs in. The address is the transport's (see the `clientAddress` option; behind a proxy,
   * Express needs `app.set('trust proxy', …)` or every client shares the proxy's address).
   */
  maxLoginFailuresPerMinute?: number;
}

export interface DashboardOptions extends DashboardSettings {
  service: JobService;
  /** Images are shown through this store's presigned GET URLs (the local store's are served by the API's /files/*key). */
  objects: ObjectStore;
  /** The API tokens; one of them is exchanged for a session at the login form. */
  auth: AuthOptions;
}

const COOKIE = 'jobkit_session';
const CSRF_HEADER = 'x-csrf-token';
const FORM_LIMIT = 8 * 1024;

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

function contentSecurityPolicy(imageOrigins: Iterable<string>): string {
  const img = ["'self'", 'data:', ...new Set(imageOrigins)].join(' ');
  return `default-src 'self'; img-src ${img}; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'`;
}

const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);

/**
 * Whether the client prefers JSON over HTML (as Express's `req.accepts(['html', 'json']) === 'json'`): the q
 * of the most specific matching range decides, HTML wins ties and an absent header.
 */
function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type.trim(), q: q ? Number(q.slice(2)) : 1 };
  });
  const quality = (type: string): number => {
    const [major] = type.split('/');
    const exact = ranges.find((r) => r.type === type);
    if (exact) return exact.q;
    const sub = ranges.find((r) => r.type === `${major}/*`);
    if (sub) return sub.q;
    return ranges.find((r) => r.type === '*/*')?.q ?? 0;
  };
  return quality('application/json') > quality('text/html');
}

type Action = 'start' | 'retry' | 'fail' | 'approve' | 'reject';

export function createDashboard(opts: DashboardOptions): { dispatch(req: JobkitRequest): Promise<JobkitResponse> } {
  if (!opts || typeof opts !== 'object') throw invalidInput('options', 'must be an object');
  if (!opts.service || typeof opts.service.listJobs !== 'function') throw invalidInput('service', 'a JobService is required');
  if (!opts.objects || typeof opts.objects.presign !== 'function') throw invalidInput('objects', 'an ObjectStore is required');
  const service = opts.service;
  const objects = opts.objects;
  const tokens = resolveAuth(opts.auth);
  const logger = (opts.logger ?? service.logger).child({ component: 'dashboard' });
  const title = opts.title ?? 'jobkit';
  const ttlMs = intOption(opts.sessionTtlMs, 8 * 3600_000, 'sessionTtlMs', 60_000, 30 * 86_400_000);
  const sessions = createSessionStore(ttlMs, intOption(opts.maxSessions, 1000, 'maxSessions', 1, 1_000_000));
  const urlTtlSec = intOption(opts.imageUrlExpiresInSec, 300, 'imageUrlExpiresInSec', 30, 86_400);
  const pollMs = intOption(opts.pollIntervalMs, 3000, 'pollIntervalMs', 500, 600_000);
  const pageSize = intOption(opts.pageSize, 25, 'pageSize', 1, 200);
  const throttle = createLoginThrottle(intOption(opts.maxLoginFailuresPerMinute, 10, 'maxLoginFailuresPerMinute', 1, 10_000));
  const secureCookie = opts.secureCookie ?? 'auto';
  if (secureCookie !== 'auto' && typeof secureCookie !== 'boolean') throw invalidInput('secureCookie', "must be true, false or 'auto'");
  const extraOrigins = (opts.imageOrigins ?? []).map((o, i) => {
    const origin = originOf(o);
    if (!origin) throw invalidInput(`imageOrigins.${i}`, 'must be an http(s) origin');
    return origin;
  });
  const now = () => service.clock.now();
  const pageHeaders: Readonly<Record<string, string>> = {
    'content-security-policy': contentSecurityPolicy(extraOrigins),
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };

  /** A request with its session (null before sign-in). */
  interface Call {
    req: JobkitRequest;
    session: Session | null;
  }
  const ctx = (c: Call): PageContext => ({ base: c.req.base, title, session: c.session, now: now(), minScore: service.review.minScore });
  const wantsJson = (req: JobkitRequest) => req.path.startsWith('/api/') || prefersJson(req.headers['accept']);
  const cookie = (req: JobkitRequest, value: string, maxAgeSec: number) =>
    serializeCookie(COOKIE, value, { path: req.base || '/', secure: secureCookie === 'auto' ? req.secure : secureCookie, maxAgeSec });

  /** A page with the CSP allowing exactly the image origins it references. */
  const page = (status: number, body: SafeHtml, imageUrls: string[] = [], headers: Record<string, string> = {}): JobkitResponse => {
    const origins = [...extraOrigins, ...imageUrls.map(originOf).filter((o): o is string => o !== null)];
    return htmlResponse(status, body.value, { 'content-security-policy': contentSecurityPolicy(origins), ...headers });
  };
  const presignGet = async (key: string): Promise<ImageRef> => ({ key, url: (await objects.presign(key, { method: 'GET', expiresInSec: urlTtlSec })).url });

  // ---- open: assets and sign-in ----
  const asset = async (_c: Call, p: Params): Promise<JobkitResponse | null> => {
    const a = ASSETS.get(decodeParam(p['name']));
    if (!a) return null;
    return { status: 200, headers: { 'content-type': a.contentType, 'cache-control': 'public, max-age=31536000, immutable' }, body: a.body };
  };

  const loginForm = async (c: Call): Promise<JobkitResponse> => {
    if (c.session) return redirect(`${c.req.base}/`);
    return page(200, loginPage(ctx(c), null));
  };

  const login = async (c: Call): Promise<JobkitResponse> => {
    const t = now().getTime();
    const ip = c.req.ip;
    const token = (await readForm(c.req, FORM_LIMIT))['token'];
    // The token is checked first, always: a flood of wrong tokens never locks out the right one.
    if (typeof token !== 'string' || token.length === 0 || token.length > 512 || !tokenMatches(token.trim(), tokens)) {
      const wait = throttle.fail(ip, t);
      logger.warn({ ip }, 'dashboard sign-in refused');
      if (wait > 0) {
        return page(429, loginPage(ctx(c), 'Too many failed sign-ins. Wait a minute and try again.'), [], { 'retry-after': String(Math.ceil(wait / 1000)) });
      }
      return page(401, loginPage(ctx(c), 'That token is not valid.'));
    }
    throttle.succeed(ip);
    // A fresh id at every sign-in (no session fixation); the old one, if any, is dropped.
    const old = readCookie(c.req.headers['cookie'], COOKIE);
    if (old) sessions.destroy(old);
    const session = sessions.create(t);
    logger.info({ ip }, 'dashboard sign-in');
    return redirect(`${c.req.base}/`, { 'set-cookie': cookie(c.req, session.id, Math.floor(ttlMs / 1000)) });
  };

  // ---- signed in ----
  const logout = async (c: Call, s: Session): Promise<JobkitResponse> => {
    sessions.destroy(s.id);
    return redirect(`${c.req.base}/login`, { 'set-cookie': cookie(c.req, '', 0) });
  };

  const readFilter = (req: JobkitRequest): { filter: JobsFilter; offset: number; error: string | null } => {
    const str = (name: string) => {
      const v = req.query.get(name);
      return v !== null && v.trim() !== '' ? v.trim() : undefined;
    };
    const status = str('status');
    const filter: JobsFilter = { sku: str('sku'), theme: str('theme') };
    let error: string | null = null;
    if (status !== undefined) {
      if (isJobStatus(status)) filter.status = status;
      else error = `Unknown status "${status}".`;
    }
    const offset = Number(str('offset') ?? 0);
    return { filter, offset: Number.isInteger(offset) && offset >= 0 && offset <= 1_000_000 ? offset : 0, error };
  };

  const loadOverview = async (req: JobkitRequest) => {
    const { filter, offset, error } = readFilter(req);
    const [stats, list] = await Promise.all([
      service.getJobStats(),
      service.listJobs({ ...filter, limit: pageSize, offset }).catch((e: unknown) => {
        if (!JobkitError.is(e, 'INVALID_INPUT')) throw e;
        return { jobs: [], total: 0, limit: pageSize, offset: 0, invalid: e.message };
      }),
    ]);
    const filterError = error ?? ('invalid' in list ? `Invalid filter: ${list.invalid}` : null);
    const print = fingerprint([
      stats.byStatus,
      stats.costUsdTotal,
      stats.costUsdToday,
      list.total,
      list.jobs.map((j) => [j.id, j.status, j.attempts, j.costUsd, j.thumbnailKeys[0] ?? j.compositeKeys[0] ?? null]),
    ]);
    return { stats, page: list, filter, filterError, print };
  };

  const jobs = async (c: Call): Promise<JobkitResponse> => {
    const o = await loadOverview(c.req);
    const thumbs = new Map<string, string>();
    await Promise.all(
      o.page.jobs.map(async (job) => {
        const key = job.thumbnailKeys[0] ?? job.compositeKeys[0];
        if (key) thumbs.set(job.id, (await presignGet(key)).url);
      }),
    );
    const live = { pollUrl: `${c.req.base}/api/overview${listQuery(o.filter, o.page.offset)}`, fingerprint: o.print, intervalMs: pollMs };
    return page(o.filterError ? 400 : 200, jobsPage(ctx(c), { ...o, thumbs, live }), [...thumbs.values()]);
  };

  const overview = async (c: Call): Promise<JobkitResponse> => {
    const o = await loadOverview(c.req);
    return jsonResponse(200, {
      fingerprint: o.print,
      stats: o.stats,
      total: o.page.total,
      jobs: o.page.jobs.map((j) => ({
        id: j.id,
        sku: j.sku,
        theme: j.theme,
        status: j.status,
        attempts: j.attempts,
        costUsd: j.costUsd,
        updatedAt: j.updatedAt,
      })),
    });
  };

  // ---- review queue ----
  const loadReview = async () => {
    const queue = await service.listJobs({ status: 'REVIEW', limit: pageSize });
    const print = fingerprint([queue.total, queue.jobs.map((j) => [j.id, j.status, j.version])]);
    return { queue, print };
  };

  const reviewQueue = async (c: Call): Promise<JobkitResponse> => {
    const { queue, print } = await loadReview();
    const items: ReviewItem[] = await Promise.all(
      queue.jobs.map(async (job) => {
        const [cutout, composites, events] = await Promise.all([
          job.maskKey ? presignGet(job.maskKey) : null,
          Promise.all(job.compositeKeys.slice(0, 2).map(presignGet)),
          service.listJobEvents(job.id),
        ]);
        // The service records why it held the job (the gate's reasons, or the policy) on the REVIEW event.
        const held = events.filter((e) => e.to === 'REVIEW').at(-1);
        return { job, cutout, composites, heldBecause: held?.message ?? null };
      }),
    );
    const urls = items.flatMap((i) => [i.cutout?.url, ...i.composites.map((x) => x.url)]).filter((u): u is string => typeof u === 'string');
    const live = { pollUrl: `${c.req.base}/api/review`, fingerprint: print, intervalMs: pollMs };
    return page(200, reviewPage(ctx(c), { items, total: queue.total, live, hostedSegmenter: service.review.hostedSegmenter }), urls);
  };

  const reviewJson = async (): Promise<JobkitResponse> => {
    const { queue, print } = await loadReview();
    return jsonResponse(200, { fingerprint: print, total: queue.total, jobs: queue.jobs.map((j) => ({ id: j.id, sku: j.sku, status: j.status })) });
  };

  // ---- one job ----
  const jobPrint = (job: Job, events: number) =>
    fingerprint([
      job.status,
      job.attempts,
      job.nextRunAt,
      job.costUsd,
      job.errorCode,
      job.maskKey,
      job.originalKey,
      job.backgroundKeys,
      job.compositeKeys,
      job.storefrontMediaIds,
      events,
    ]);

  const jobId = (p: Params) => decodeParam(p['id']);

  const job = async (c: Call, p: Params): Promise<JobkitResponse> => {
    const found = await service.requireJob(jobId(p));
    const events = await service.listJobEvents(found.id);
    // The original is shown once it is stored (a URL-sourced job has no object before its fetch step).
    const originalKey = found.originalKey && (found.status !== 'NEW' || found.imageUrl === null) ? found.originalKey : null;
    const [original, mask, backgrounds, composites] = await Promise.all([
      originalKey ? presignGet(originalKey) : null,
      found.maskKey ? presignGet(found.maskKey) : null,
      Promise.all(found.backgroundKeys.map(presignGet)),
      Promise.all(found.compositeKeys.map(presignGet)),
    ]);
    const live = { pollUrl: `${c.req.base}/api/jobs/${found.id}`, fingerprint: jobPrint(found, events.length), intervalMs: pollMs };
    const urls = [original, mask, ...backgrounds, ...composites].filter((i): i is ImageRef => i !== null).map((i) => i.url);
    return page(
      200,
      jobPage(ctx(c), { job: found, events, original, mask, backgrounds, composites, live, hostedSegmenter: service.review.hostedSegmenter }),
      urls,
    );
  };

  const jobJson = async (_c: Call, p: Params): Promise<JobkitResponse> => {
    const found = await service.requireJob(jobId(p));
    const events = await service.listJobEvents(found.id);
    return jsonResponse(200, {
      fingerprint: jobPrint(found, events.length),
      job: { id: found.id, sku: found.sku, status: found.status, attempts: found.attempts, costUsd: found.costUsd, updatedAt: found.updatedAt },
      events: events.length,
    });
  };

  const ACTIONS: Record<Action, (id: string, form: Record<string, unknown>) => Promise<{ job: Job; text: string }>> = {
    start: async (id) => {
      const { job: started, started: was } = await service.startJob(id, { driver: 'worker' });
      return { job: started, text: was ? 'Job started: the worker picks it up.' : 'The job was already started.' };
    },
    retry: async (id) => ({ job: await service.retryJob(id), text: 'Job retried: it resumes where it failed.' }),
    fail: async (id) => ({
      job: await service.failJob(id, { code: 'CANCELLED', message: 'failed by an operator from the dashboard' }),
      text: 'Job marked as FAILED.',
    }),
    approve: async (id) => ({ job: await service.approveJob(id), text: 'Cut approved: the job goes on to the storefront.' }),
    reject: async (id, form) => {
      const reason = typeof form['reason'] === 'string' ? form['reason'].trim() : '';
      if (reason === '') throw invalidInput('reason', 'give a reason for the rejection');
      const hosted = form['retryWith'] === 'hosted';
      const rejected = await service.rejectJob(id, hosted ? { reason, retryWith: 'hosted' } : { reason });
      return {
        job: rejected,
        text: hosted ? 'Cut rejected: the photo is segmented again by the hosted segmenter.' : 'Cut rejected: the job FAILED with REJECTED.',
      };
    },
  };

  const action = async (c: Call, p: Params, s: Session, form: Record<string, unknown>): Promise<JobkitResponse> => {
    const id = jobId(p);
    const name = decodeParam(p['action']);
    const json = prefersJson(c.req.headers['accept']);
    if (!Object.hasOwn(ACTIONS, name)) throw new JobkitError('NOT_FOUND', `no dashboard action "${name}"`);
    // Back to where the operator came from: the review queue, or the job page.
    const back = form['from'] === 'review' ? `${c.req.base}/review` : `${c.req.base}/jobs/${encodeURIComponent(id)}`;
    try {
      const { job: done, text } = await ACTIONS[name as Action](id, form);
      logger.info({ jobId: done.id, sku: done.sku, action: name, status: done.status }, `dashboard: ${name}`);
      if (isRunnable(done)) opts.onJobQueued?.(done);
      if (json) return jsonResponse(200, { job: done });
      s.flash = { kind: 'ok', text };
    } catch (e) {
      if (!JobkitError.is(e) || toHttpError(e).internal || e.code === 'NOT_FOUND' || json) throw e;
      // A refused action (e.g. the job moved on meanwhile) is shown as a message.
      s.flash = { kind: 'error', text: e.message };
    }
    return redirect(back);
  };

  // ---- the table ----
  type Access = 'open' | 'session' | 'csrf';
  type Run = (c: Call, p: Params, s: Session, form: Record<string, unknown>) => Promise<JobkitResponse | null>;
  const route = (method: 'GET' | 'POST', path: string, access: Access, run: Run): Route<Access> => ({
    method,
    path,
    access,
    run: run as unknown as Route['run'],
  });
  const match = createMatcher<Access>([
    route('GET', '/assets/:name', 'open', asset),
    route('GET', '/login', 'open', loginForm),
    route('POST', '/login', 'open', login),
    route('POST', '/logout', 'csrf', (c, _p, s) => logout(c, s)),
    route('GET', '/', 'session', jobs),
    route('GET', '/api/overview', 'session', overview),
    route('GET', '/review', 'session', reviewQueue),
    route('GET', '/api/review', 'session', reviewJson),
    route('GET', '/jobs/:id', 'session', job),
    route('GET', '/api/jobs/:id', 'session', jobJson),
    route('POST', '/jobs/:id/:action', 'csrf', action),
  ]);

  const csrfRefused = (c: Call): JobkitResponse => {
    logger.warn({ ip: c.req.ip, route: c.req.path.replace(/\/jobs\/[^/]+/, '/jobs/:id') }, 'dashboard POST without a valid CSRF token');
    if (prefersJson(c.req.headers['accept'])) return jsonResponse(403, { error: { code: 'CSRF_INVALID', message: 'missing or invalid CSRF token' } });
    return page(403, errorPage(ctx(c), 403, 'The form was missing its security token (CSRF). Reload the page and try again.'));
  };

  const failure = (err: unknown, c: Call): JobkitResponse => {
    if (wantsJson(c.req)) return errorResponse(err, logger, { route: c.req.path.replace(/\/jobs\/[^/]+/, '/jobs/:id') });
    const http = toHttpError(err);
    logHttpError(http, err, logger, { route: c.req.base + c.req.path.replace(/\/jobs\/[^/]+/, '/jobs/:id') });
    return page(http.status, errorPage(ctx(c), http.status, http.body.error.message));
  };

  const dispatch = async (req: JobkitRequest): Promise<JobkitResponse> => {
    const c: Call = { req, session: sessions.get(readCookie(req.headers['cookie'], COOKIE), now().getTime()) };
    try {
      const found = match(req.method, req.path);
      const access = found?.route.access ?? 'session';
      if (access !== 'open' && !c.session) {
        if (wantsJson(req)) return jsonResponse(401, { error: { code: 'UNAUTHORIZED', message: 'sign in to the dashboard first' } });
        return redirect(`${req.base}/login`);
      }
      let form: Record<string, unknown> = {};
      if (access === 'csrf') {
        form = await readForm(req, FORM_LIMIT);
        const fromForm = form['_csrf'];
        const header = req.headers[CSRF_HEADER];
        const presented = typeof fromForm === 'string' ? fromForm : typeof header === 'string' ? header : '';
        if (!presented || !safeEqual(presented, c.session!.csrf)) return csrfRefused(c);
      }
      const res = found ? await (found.route.run as unknown as Run)(c, found.params, c.session!, form) : null;
      if (res) return res;
      // Anything unknown is behind the session too (an unknown asset name included).
      if (!c.session) return redirect(`${req.base}/login`);
      throw new JobkitError('NOT_FOUND', `no page ${req.base}${req.path}`);
    } catch (e) {
      return failure(e, c);
    }
  };

  return {
    async dispatch(req) {
      return withDefaultHeaders(await dispatch(req), pageHeaders);
    },
  };
}
