/**
 * createJobkitRouter / createJobkitDashboard: @jobkit/http's handlers as Express 5 Routers. Every route,
 * the error table and the dashboard live in @jobkit/http; this file only translates Express's request
 * (mount path, `req.ip` with `trust proxy`, a body a parser in front may have consumed) into a request
 * record and writes the answer.
 */
import type { IncomingMessage } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { invalidInput } from 'jobkit';
import {
  coreOf,
  createDashboardHandler,
  createJobkitHandler,
  errorResponse,
  nodeRecord,
  writeNodeResponse,
  type BodySource,
  type DashboardOptions,
  type JobkitCore,
  type JobkitHandler,
  type JobkitHandlerOptions,
} from '@jobkit/http';

export interface JobkitRouterOptions extends Omit<JobkitHandlerOptions, 'basePath' | 'clientAddress' | 'dashboard'> {
  /** Adds routes after jobkit's own, before the 404. */
  extraRoutes?: (router: Router) => void;
}

/** What body-parser and friends leave on a request. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
}

function parserName(req: ParsedRequest): string {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) return 'a JSON body parser (express.json())';
  if (type.includes('urlencoded')) return 'a form body parser (express.urlencoded())';
  if (type.startsWith('text/')) return 'a text body parser (express.text())';
  return 'a body parser';
}

/**
 * The body as jobkit needs it. Untouched: read from the stream. Consumed by a parser in front: the raw bytes
 * it kept (`req.rawBody` from `express.json({ verify })`, or `express.raw()`'s Buffer), else the parsed value
 * (fine for JSON and form routes; signed routes answer BODY_NOT_RAW naming the parser).
 */
function expressBody(req: ParsedRequest): BodySource | undefined {
  if (req._body !== true && !req.readableEnded) return undefined;
  const kept = req.rawBody instanceof Uint8Array ? req.rawBody : Buffer.isBuffer(req.body) ? req.body : null;
  if (kept) {
    const bytes = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength);
    return {
      read: async (limit) => {
        if (bytes.length > limit) throw invalidInput('body', `request body exceeds ${limit} bytes`);
        return bytes;
      },
    };
  }
  const parser = parserName(req);
  return {
    parsed: { value: req.body, parser },
    read: async () => {
      throw invalidInput('body', `the request body was consumed by ${parser} in front of jobkit`);
    },
  };
}

/** Express middleware for a core: answers its routes, passes anything else on to `next`. */
function middleware(core: JobkitCore) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.removeHeader('x-powered-by');
    const body = expressBody(req as ParsedRequest);
    const record = nodeRecord(req, {
      base: req.baseUrl,
      url: req.url,
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      secure: req.secure,
      ...(body ? { body } : {}),
    });
    core.dispatch(record).then((r) => (r ? writeNodeResponse(req, res, r) : next()), next);
  };
}

function coreFor(handler: JobkitHandler): JobkitCore {
  return coreOf(handler)!.core;
}

/**
 * The jobkit API as an Express Router. Mount it under a prefix (e.g. /api). A global JSON parser in front
 * is fine when it keeps the raw bytes (`express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`);
 * without them the signed webhook answers 500 BODY_NOT_RAW naming the parser, never a signature error.
 */
export function createJobkitRouter(opts: JobkitRouterOptions): Router {
  if (opts?.extraRoutes !== undefined && typeof opts.extraRoutes !== 'function') throw invalidInput('extraRoutes', 'must be a function');
  const { extraRoutes, ...handlerOptions } = opts ?? ({} as JobkitRouterOptions);
  const logger = (handlerOptions.logger ?? handlerOptions.service?.logger)?.child({ component: 'http' });
  const core = coreFor(createJobkitHandler(handlerOptions));
  const router = Router();
  router.use(middleware(core));
  if (extraRoutes) {
    const extra = Router();
    extra.use((_req, res, next) => {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'no-store');
      next();
    });
    extraRoutes(extra);
    router.use(extra);
  }
  router.use((req: Request, res: Response) => {
    writeNodeResponse(req, res, core.notFound(nodeRecord(req, { base: req.baseUrl, url: req.url })));
  });
  // Errors of extra routes leave in the same JSON shape as jobkit's own.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    writeNodeResponse(req, res, errorResponse(err, logger!, { method: req.method, route: req.baseUrl + req.path }));
  });
  return router;
}

/**
 * The operator dashboard as its own Express Router (mount it e.g. at /dashboard, next to — not inside —
 * the API router). Behind a proxy, set `app.set('trust proxy', …)` so `req.ip` and `req.secure` are the
 * client's: the sign-in throttle counts wrong tokens per address, and the cookie is Secure on https.
 */
export function createJobkitDashboard(opts: DashboardOptions): Router {
  const core = coreFor(createDashboardHandler(opts));
  const router = Router();
  router.use(middleware(core));
  return router;
}
