// @jobkit/adapter-express: the jobkit HTTP API as an Express 5 Router.
export { createJobkitRouter } from './router.js';
export type { JobkitRouterOptions, RawWebhookHandler, RawWebhookRequest } from './options.js';
export type { AuthOptions } from './auth.js';
export { DEFAULT_WEBHOOK_HEADERS, type WebhookOptions } from './webhook.js';
export { HTTP_STATUS_BY_CODE, toHttpError, toJobkitError, sendError, createErrorHandler, type HttpError, type HttpErrorBody } from './errors.js';
export { buildOpenApiDocument, type OpenApiOptions } from './openapi.js';
export { UPLOAD_CONTENT_TYPES, type SignedUrlVerifier } from './files.js';
export type { PresignedPair } from './presign.js';
export {
  createJobkitMetrics,
  instrumentWorker,
  createMetricsHandler,
  stepLabel,
  STEP_LABELS,
  type JobkitMetrics,
  type JobkitMetricsOptions,
  type MetricsHandlerOptions,
} from './metrics.js';
export { createJobkitDashboard, type DashboardOptions } from './dashboard/router.js';
export { html, escapeHtml, SafeHtml, type HtmlValue } from './dashboard/html.js';
