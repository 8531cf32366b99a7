/**
 * createJobkitDashboard: an operator dashboard as its own Express Router (mount it e.g. at /dashboard,
 * next to — not inside — the API router: it needs a form parser, cookies and an HTML-only CSP that the API
 * does not). Server-rendered HTML plus one small script that polls a JSON endpoint and swaps the live
 * region; no build step, no external assets.
 *
 * Security model: the API token is exchanged (POST /login) for a random session id in an HttpOnly,
 * SameSite=Strict cookie; sessions live in memory with an absolute expiry. Every POST carries the
 * session's CSRF token (form field `_csrf` or header `x-csrf-token`), compared in constant time. Pages
 * send a strict CSP without inline scripts or styles.
 */
import { createHash } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { JobkitError, invalidInput, isJobStatus, type Job, type JobService, type Logger, type ObjectStore } from 'jobkit';
import { resolveAuth, tokenMatches, type AuthOptions } from '../auth.js';
import { toHttpError } from '../errors.js';
import { ASSETS } from './assets.js';
import type { SafeHtml } from './html.js';
import { createSessionStore, readCookie, safeEqual, serializeCookie, type Session } from './sessions.js';
import { errorPage, jobPage, jobsPage, listQuery, loginPage, type ImageRef, type JobsFilter, type PageContext } from './views.js';

export interface DashboardOptions {
  service: JobService;
  /** Images are shown through this store's presigned GET URLs (the local store's are served by the router's /files/*key). */
  objects: ObjectStore;
  /** The API tokens; one of them is exchanged for a session at the login form. */
  auth: AuthOptions;
  /** Default: the service's logger. */
  logger?: Logger;
  /** Called when a job became runnable (started or retried from the dashboard): e.g. `() => worker.wake()`. */
  onJobQueued?: (job: Job) => void;
  /** Title in the header (default "jobkit"). */
  title?: string;
  /** Session lifetime, ms (default 8 h). Absolute, not sliding. */
  sessionTtlMs?: number;
  /** Sessions kept at most; the oldest is dropped beyond (default 1000). */
  maxSessions?: number;
  /** `Secure` cookie flag: 'auto' (default) = when the request is https (`req.secure`, honours `trust proxy`). */
  secureCookie?: boolean | 'auto';
  /** Lifetime of the image URLs on a page, seconds (default 300). Pages re-render them on every refresh. */
  imageUrlExpiresInSec?: number;
  /** How often the page polls for changes, ms (default 3000). */
  pollIntervalMs?: number;
  /** Jobs per page (default 25). */
  pageSize?: number;
  /** Extra origins allowed in img-src (the origins of presigned URLs on a page are added automatically). */
  imageOrigins?: string[];
  /** Failed logins allowed per client address per minute (default 10); then 429. */
  maxLoginFailuresPerMinute?: number;
}

const COOKIE = 'jobkit_session';
const CSRF_HEADER = 'x-csrf-token';

function intOption(value: number | undefined, fallback: number, field: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw invalidInput(field, `must be an integer ${min}..${max}`);
  return v;
}

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

/** A fixed-window counter of failed logins per client address. */
function createLoginLimiter(maxPerMinute: number) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    blocked(ip: string, now: number): number {
      const w = windows.get(ip);
      if (!w || w.resetAt <= now) return 0;
      return w.count >= maxPerMinute ? w.resetAt - now : 0;
    },
    fail(ip: string, now: number): void {
      if (windows.size > 10_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      const w = windows.get(ip);
      if (!w || w.resetAt <= now) windows.set(ip, { count: 1, resetAt: now + 60_000 });
      else w.count++;
    },
  };
}

export function createJobkitDashboard(opts: DashboardOptions): Router {
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
  const limiter = createLoginLimiter(intOption(opts.maxLoginFailuresPerMinute, 10, 'maxLoginFailuresPerMinute', 1, 10_000));
  const secureCookie = opts.secureCookie ?? 'auto';
  if (secureCookie !== 'auto' && typeof secureCookie !== 'boolean') throw invalidInput('secureCookie', "must be true, false or 'auto'");
  const extraOrigins = (opts.imageOrigins ?? []).map((o, i) => {
    const origin = originOf(o);
    if (!origin) throw invalidInput(`imageOrigins.${i}`, 'must be an http(s) origin');
    return origin;
  });
  const now = () => service.clock.now();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  const router = Router();
  const base = (req: Request) => req.baseUrl;
  const ctx = (req: Request, session: Session | null): PageContext => ({ base: base(req), title, session, now: now() });
  const sessionOf = (res: Response): Session => res.locals['session'] as Session;
  const cookie = (req: Request, value: string, maxAgeSec: number) =>
    serializeCookie(COOKIE, value, { path: base(req) || '/', secure: secureCookie === 'auto' ? req.secure : secureCookie, maxAgeSec });

  /** Sends a page with the CSP allowing exactly the image origins it references. */
  const sendPage = (res: Response, status: number, page: SafeHtml, imageUrls: string[] = []) => {
    const origins = [...extraOrigins, ...imageUrls.map(originOf).filter((o): o is string => o !== null)];
    res.setHeader('content-security-policy', contentSecurityPolicy(origins));
    res.status(status).type('html').send(page.value);
  };
  const presignGet = async (key: string): Promise<ImageRef> => ({ key, url: (await objects.presign(key, { method: 'GET', expiresInSec: urlTtlSec })).url });

  router.use((_req, res, next) => {
    res.removeHeader('x-powered-by');
    res.setHeader('content-security-policy', contentSecurityPolicy(extraOrigins));
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cache-control', 'no-store');
    next();
  });

  // Static assets: public, content-hashed, immutable.
  router.get('/assets/:name', (req, res, next) => {
    const a = ASSETS.get(String(req.params['name']));
    if (!a) return next();
    res.setHeader('content-type', a.contentType);
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    res.send(a.body);
  });

  // ---- login / logout ----
  router.get('/login', (req, res) => {
    if (sessions.get(readCookie(req.headers.cookie, COOKIE), now().getTime())) return res.redirect(303, `${base(req)}/`);
    sendPage(res, 200, loginPage(ctx(req, null), null));
  });

  router.post('/login', form, (req, res) => {
    const t = now().getTime();
    const ip = req.ip ?? 'unknown';
    const wait = limiter.blocked(ip, t);
    if (wait > 0) {
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      return sendPage(res, 429, loginPage(ctx(req, null), 'Too many failed sign-ins. Wait a minute and try again.'));
    }
    const token = (req.body as Record<string, unknown> | undefined)?.['token'];
    if (typeof token !== 'string' || token.length === 0 || token.length > 512 || !tokenMatches(token.trim(), tokens)) {
      limiter.fail(ip, t);
      logger.warn({ ip }, 'dashboard sign-in refused');
      return sendPage(res, 401, loginPage(ctx(req, null), 'That token is not valid.'));
    }
    // A fresh id at every sign-in (no session fixation); the old one, if any, is dropped.
    const old = readCookie(req.headers.cookie, COOKIE);
    if (old) sessions.destroy(old);
    const session = sessions.create(t);
    res.setHeader('set-cookie', cookie(req, session.id, Math.floor(ttlMs / 1000)));
    logger.info({ ip }, 'dashboard sign-in');
    res.redirect(303, `${base(req)}/`);
  });

  // ---- everything below needs a session ----
  const requireSession: RequestHandler = (req, res, next) => {
    const session = sessions.get(readCookie(req.headers.cookie, COOKIE), now().getTime());
    if (session) {
      res.locals['session'] = session;
      return next();
    }
    if (req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json') {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'sign in to the dashboard first' } });
      return;
    }
    res.redirect(303, `${base(req)}/login`);
  };
  router.use(requireSession);

  // CSRF: every POST from here on carries the session's token.
  const requireCsrf: RequestHandler = (req, res, next) => {
    const fromForm = (req.body as Record<string, unknown> | undefined)?.['_csrf'];
    const header = req.headers[CSRF_HEADER];
    const presented = typeof fromForm === 'string' ? fromForm : typeof header === 'string' ? header : '';
    if (!presented || !safeEqual(presented, sessionOf(res).csrf)) {
      logger.warn({ ip: req.ip, route: req.baseUrl + (req.route?.path ?? '') }, 'dashboard POST without a valid CSRF token');
      if (req.accepts(['html', 'json']) === 'json') {
        res.status(403).json({ error: { code: 'CSRF_INVALID', message: 'missing or invalid CSRF token' } });
        return;
      }
      sendPage(res, 403, errorPage(ctx(req, sessionOf(res)), 403, 'The form was missing its security token (CSRF). Reload the page and try again.'));
      return;
    }
    next();
  };

  router.post('/logout', form, requireCsrf, (req, res) => {
    sessions.destroy(sessionOf(res).id);
    res.setHeader('set-cookie', cookie(req, '', 0));
    res.redirect(303, `${base(req)}/login`);
  });

  // ---- jobs list ----
  const readFilter = (req: Request): { filter: JobsFilter; offset: number; error: string | null } => {
    const q = req.query as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
    const status = str(q['status']);
    const filter: JobsFilter = { sku: str(q['sku']), theme: str(q['theme']) };
    let error: string | null = null;
    if (status !== undefined) {
      if (isJobStatus(status)) filter.status = status;
      else error = `Unknown status "${status}".`;
    }
    const offset = Number(str(q['offset']) ?? 0);
    return { filter, offset: Number.isInteger(offset) && offset >= 0 && offset <= 1_000_000 ? offset : 0, error };
  };

  const loadOverview = async (req: Request) => {
    const { filter, offset, error } = readFilter(req);
    const [stats, page] = await Promise.all([
      service.getJobStats(),
      service.listJobs({ ...filter, limit: pageSize, offset }).catch((e: unknown) => {
        if (!JobkitError.is(e, 'INVALID_INPUT')) throw e;
        return { jobs: [], total: 0, limit: pageSize, offset: 0, invalid: e.message };
      }),
    ]);
    const filterError = error ?? ('invalid' in page ? `Invalid filter: ${page.invalid}` : null);
    const print = fingerprint([
      stats.byStatus,
      stats.costUsdTotal,
      stats.costUsdToday,
      page.total,
      page.jobs.map((j) => [j.id, j.status, j.attempts, j.costUsd, j.thumbnailKeys[0] ?? j.compositeKeys[0] ?? null]),
    ]);
    return { stats, page, filter, filterError, print };
  };

  router.get('/', async (req, res) => {
    const o = await loadOverview(req);
    const thumbs = new Map<string, string>();
    await Promise.all(
      o.page.jobs.map(async (job) => {
        const key = job.thumbnailKeys[0] ?? job.compositeKeys[0];
        if (key) thumbs.set(job.id, (await presignGet(key)).url);
      }),
    );
    const live = { pollUrl: `${base(req)}/api/overview${listQuery(o.filter, o.page.offset)}`, fingerprint: o.print, intervalMs: pollMs };
    sendPage(res, o.filterError ? 400 : 200, jobsPage(ctx(req, sessionOf(res)), { ...o, thumbs, live }), [...thumbs.values()]);
  });

  router.get('/api/overview', async (req, res) => {
    const o = await loadOverview(req);
    res.json({
      fingerprint: o.print,
      stats: o.stats,
      total: o.page.total,
      jobs: o.page.jobs.map((j) => ({ id: j.id, sku: j.sku, theme: j.theme, status: j.status, attempts: j.attempts, costUsd: j.costUsd, updatedAt: j.updatedAt })),
    });
  });

  // ---- one job ----
  const jobPrint = (job: Job, events: number) =>
    fingerprint([job.status, job.attempts, job.nextRunAt, job.costUsd, job.errorCode, job.maskKey, job.originalKey, job.backgroundKeys, job.compositeKeys, job.storefrontMediaIds, events]);

  router.get('/jobs/:id', async (req, res) => {
    const job = await service.requireJob(String(req.params['id']));
    const events = await service.listJobEvents(job.id);
    // The original is shown once it is stored (a URL-sourced job has no object before its fetch step).
    const originalKey = job.originalKey && (job.status !== 'NEW' || job.imageUrl === null) ? job.originalKey : null;
    const [original, mask, backgrounds, composites] = await Promise.all([
      originalKey ? presignGet(originalKey) : null,
      job.maskKey ? presignGet(job.maskKey) : null,
      Promise.all(job.backgroundKeys.map(presignGet)),
      Promise.all(job.compositeKeys.map(presignGet)),
    ]);
    const live = { pollUrl: `${base(req)}/api/jobs/${job.id}`, fingerprint: jobPrint(job, events.length), intervalMs: pollMs };
    const urls = [original, mask, ...backgrounds, ...composites].filter((i): i is ImageRef => i !== null).map((i) => i.url);
    sendPage(res, 200, jobPage(ctx(req, sessionOf(res)), { job, events, original, mask, backgrounds, composites, live }), urls);
  });

  router.get('/api/jobs/:id', async (req, res) => {
    const job = await service.requireJob(String(req.params['id']));
    const events = await service.listJobEvents(job.id);
    res.json({ fingerprint: jobPrint(job, events.length), job: { id: job.id, sku: job.sku, status: job.status, attempts: job.attempts, costUsd: job.costUsd, updatedAt: job.updatedAt }, events: events.length });
  });

  const ACTIONS = {
    start: async (id: string) => {
      const { job, started } = await service.startJob(id, { driver: 'worker' });
      return { job, text: started ? 'Job started: the worker picks it up.' : 'The job was already started.' };
    },
    retry: async (id: string) => ({ job: await service.retryJob(id), text: 'Job retried: it resumes where it failed.' }),
    fail: async (id: string) => ({ job: await service.failJob(id, { code: 'CANCELLED', message: 'failed by an operator from the dashboard' }), text: 'Job marked as FAILED.' }),
  } as const;

  router.post('/jobs/:id/:action', form, requireCsrf, async (req, res) => {
    const id = String(req.params['id']);
    const action = String(req.params['action']);
    const json = req.accepts(['html', 'json']) === 'json';
    if (!Object.hasOwn(ACTIONS, action)) throw new JobkitError('NOT_FOUND', `no dashboard action "${action}"`);
    const session = sessionOf(res);
    try {
      const { job, text } = await ACTIONS[action as keyof typeof ACTIONS](id);
      logger.info({ jobId: job.id, sku: job.sku, action, status: job.status }, `dashboard: ${action}`);
      if (job.driver === 'worker' && !['NEW', 'DONE', 'FAILED'].includes(job.status)) opts.onJobQueued?.(job);
      if (json) {
        res.json({ job });
        return;
      }
      session.flash = { kind: 'ok', text };
    } catch (e) {
      if (!JobkitError.is(e) || toHttpError(e).internal || e.code === 'NOT_FOUND') throw e;
      if (json) throw e;
      // A refused action (e.g. the job moved on meanwhile) is shown on the job page.
      session.flash = { kind: 'error', text: e.message };
    }
    res.redirect(303, `${base(req)}/jobs/${encodeURIComponent(id)}`);
  });

  // ---- 404 and errors: HTML for pages, JSON for /api ----
  router.use((req, _res, next) => next(new JobkitError('NOT_FOUND', `no page ${req.baseUrl}${req.path}`)));
  router.use(((err, req, res, _next) => {
    const http = toHttpError(err);
    if (http.internal) logger.error({ err: err instanceof Error ? err : new Error(String(err)), route: req.baseUrl + req.path.replace(/\/jobs\/[^/]+/, '/jobs/:id') }, 'dashboard request failed');
    if (res.headersSent) return res.destroy();
    if (req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json') {
      res.status(http.status).json(http.body);
      return;
    }
    const session = (res.locals['session'] as Session | undefined) ?? null;
    sendPage(res, http.status, errorPage(ctx(req, session), http.status, http.body.error.message));
  }) as express.ErrorRequestHandler);

  return router;
}
