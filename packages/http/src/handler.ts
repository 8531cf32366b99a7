/**
 * createJobkitHandler: the jobkit HTTP API as one web-standard `(Request) => Promise<Response>` function.
 * Internally it answers plain request records (see exchange.ts): `toNodeHandler` and the Express wrapper
 * call that core directly, without building WHATWG objects.
 */
import { JobkitError, invalidInput } from 'jobkit';
import { requireBearer, resolveAuth } from './auth.js';
import { createDashboard } from './dashboard/dashboard.js';
import { errorResponse } from './errors.js';
import { withDefaultHeaders, type JobkitRequest, type JobkitResponse } from './exchange.js';
import { attachCore, type JobkitCore, type JobkitHandler } from './fetch.js';
import { supportsSignedFiles } from './files.js';
import { intOption } from './int-option.js';
import { requestLogContext } from './log-context.js';
import { buildOpenApiDocument } from './openapi.js';
import type { JobkitHandlerOptions } from './options.js';
import { createMatcher } from './router.js';
import { routeTable } from './routes.js';
import { resolveWebhook } from './webhook.js';

const DEFAULT_MAX_UPLOAD = 25 * 1024 * 1024;

/** On every API response (a route's own header wins, e.g. a file's cache-control). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const DASHBOARD_PATH = '/dashboard';

export function createJobkitHandler(opts: JobkitHandlerOptions): JobkitHandler {
  if (!opts || typeof opts !== 'object') throw invalidInput('options', 'must be an object');
  if (!opts.service || typeof opts.service.createJob !== 'function') throw invalidInput('service', 'a JobService is required');
  if (!opts.objects || typeof opts.objects.presign !== 'function') throw invalidInput('objects', 'an ObjectStore is required');
  const service = opts.service;
  const objects = opts.objects;
  const logger = (opts.logger ?? service.logger).child({ component: 'http' });
  const webhook = resolveWebhook(opts.webhook, opts.env ?? process.env);
  const tokens = resolveAuth(opts.auth);
  if (opts.autoStart !== undefined && typeof opts.autoStart !== 'boolean') throw invalidInput('autoStart', 'must be a boolean');
  if (opts.replicateWebhook !== undefined && typeof opts.replicateWebhook !== 'function') throw invalidInput('replicateWebhook', 'must be a function');
  if (opts.metrics !== undefined && typeof opts.metrics?.render !== 'function') throw invalidInput('metrics', 'must be the result of createJobkitMetrics(...)');
  if (opts.onJobQueued !== undefined && typeof opts.onJobQueued !== 'function') throw invalidInput('onJobQueued', 'must be a function');
  if (webhook.unsigned) logger.warn({}, 'webhook signatures are NOT verified (webhook.allowUnsigned): local development only');

  const files = supportsSignedFiles(objects) ? objects : null;
  const metricsPublic = opts.metricsPublic === true;
  const openapi = JSON.stringify(
    buildOpenApiDocument({
      files: files !== null,
      replicateWebhook: opts.replicateWebhook !== undefined,
      ...(opts.metrics ? { metrics: metricsPublic ? 'public' : 'token' } : {}),
    }),
  );
  const match = createMatcher(
    routeTable({
      service,
      objects,
      files,
      webhook,
      autoStart: opts.autoStart ?? true,
      logger,
      presignExpiresInSec: intOption(opts.presignExpiresInSec, 3600, 'presignExpiresInSec', 1, 7 * 24 * 3600),
      maxUploadBytes: intOption(opts.maxUploadBytes, DEFAULT_MAX_UPLOAD, 'maxUploadBytes'),
      jsonLimitBytes: intOption(opts.jsonLimitBytes, 100 * 1024, 'jsonLimitBytes'),
      onJobQueued: opts.onJobQueued,
      replicateWebhook: opts.replicateWebhook,
      metrics: opts.metrics,
      openapi,
    }),
  );
  const dashboard = opts.dashboard
    ? createDashboard({
        service,
        objects,
        auth: opts.auth,
        logger: opts.logger ?? service.logger,
        ...(opts.onJobQueued ? { onJobQueued: opts.onJobQueued } : {}),
        ...(opts.dashboard === true ? {} : opts.dashboard),
      })
    : null;

  const fail = async (err: unknown, req: JobkitRequest): Promise<JobkitResponse> => {
    // Errors about a job are logged with its id and SKU (and the path as a pattern).
    const context = await requestLogContext(service, req.path);
    return errorResponse(err, logger, { method: req.method, ...context });
  };

  const core: JobkitCore = {
    async dispatch(req) {
      if (dashboard && (req.path === DASHBOARD_PATH || req.path.startsWith(`${DASHBOARD_PATH}/`))) {
        return dashboard.dispatch({ ...req, base: req.base + DASHBOARD_PATH, path: req.path.slice(DASHBOARD_PATH.length) || '/' });
      }
      const found = match(req.method, req.path);
      if (!found) return null;
      try {
        const access = found.route.access;
        if (access === 'bearer' || (access === 'metrics' && !metricsPublic)) requireBearer(req.headers, tokens);
        return withDefaultHeaders(await found.route.run(req, found.params), SECURITY_HEADERS);
      } catch (e) {
        return withDefaultHeaders(await fail(e, req), SECURITY_HEADERS);
      }
    },
    notFound(req) {
      return withDefaultHeaders(
        errorResponse(new JobkitError('NOT_FOUND', `no route ${req.method} ${req.base}${req.path}`), logger, { method: req.method }),
        SECURITY_HEADERS,
      );
    },
  };
  return attachCore(core, opts);
}
