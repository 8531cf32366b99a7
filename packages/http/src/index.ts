// @jobkit/http: jobkit's HTTP API as one web-standard Request → Response handler, and its transports.
export { createJobkitHandler } from './handler.js';
export type { JobkitHandlerOptions, RequestEntryOptions } from './options.js';
export type { JobkitHandler } from './fetch.js';
export { toNodeHandler, type NodeListener } from './node.js';
export { createDashboardHandler } from './dashboard/handler.js';
export type { DashboardOptions, DashboardSettings } from './dashboard/dashboard.js';
export type { AuthOptions } from './auth.js';
export { DEFAULT_WEBHOOK_HEADERS, type WebhookOptions, type RawWebhookHandler, type RawWebhookRequest } from './webhook.js';
export { HTTP_STATUS_BY_CODE, HTTP_ONLY_CODES, toHttpError, errorResponse, type HttpError, type HttpErrorBody, type HttpOnlyCode } from './errors.js';
export { buildOpenApiDocument, type OpenApiOptions } from './openapi.js';
export { UPLOAD_CONTENT_TYPES, type SignedUrlVerifier } from './files.js';
export type { PresignedPair } from './presign.js';
export { createJobkitMetrics, instrumentWorker, stepLabel, STEP_LABELS, type JobkitMetrics, type JobkitMetricsOptions } from './metrics.js';
export { html, escapeHtml, SafeHtml, type HtmlValue } from './dashboard/html.js';
// For transports outside this package (@jobkit/adapter-express): the request/response records and the core.
export type { BodySource, JobkitRequest, JobkitResponse, RequestHeaders } from './exchange.js';
export { coreOf, type AttachedCore, type JobkitCore } from './fetch.js';
export { nodeRecord, writeNodeResponse } from './node.js';
