/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse with: every schema is
 * registered in a zod registry and converted with z.toJSONSchema (JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is); this module only assembles paths, parameters and responses around them.
 */
import { z } from 'zod';
import { jobIdSchema, skuSchema, statusSchema, themeSchema } from 'jobkit';
import {
  backgroundsBodySchema,
  compositeBodySchema,
  errorBodySchema,
  failBodySchema,
  jobEventSchema,
  jobSchema,
  presignBodySchema,
  presignedPairSchema,
  rejectBodySchema,
  segmentationBodySchema,
  shopifyBodySchema,
  startBodySchema,
  statsSchema,
  webhookBodySchema,
} from './schemas.js';

export interface OpenApiOptions {
  title?: string;
  version?: string;
  /** Where the router is mounted, e.g. "/api" (servers[0].url). Default "/api". */
  serverUrl?: string;
  /** Include GET/PUT /files/{key} (when the object store serves signed URLs). */
  files?: boolean;
  /** Include POST /webhooks/replicate. */
  replicateWebhook?: boolean;
  /** Include GET /metrics: 'token' (bearer) or 'public'. */
  metrics?: 'token' | 'public';
}

type JsonObject = Record<string, unknown>;

const jobResponse = z.object({ job: jobSchema });
const webhookResponse = z.object({ status: z.enum(['created', 'duplicate']), job: jobSchema });
const startResponse = z.object({
  job: jobSchema,
  started: z.boolean(),
  urls: z.object({ original: presignedPairSchema, mask: presignedPairSchema }).optional().meta({ description: 'driver external only' }),
});
const jobPage = z.object({ jobs: z.array(jobSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
const eventsResponse = z.object({ events: z.array(jobEventSchema) });
const health = z.object({ status: z.string() });

const COMPONENTS: Array<[string, z.ZodType]> = [
  ['Job', jobSchema],
  ['JobEvent', jobEventSchema],
  ['JobStats', statsSchema],
  ['JobPage', jobPage],
  ['JobResponse', jobResponse],
  ['JobEvents', eventsResponse],
  ['WebhookImage', webhookBodySchema],
  ['WebhookResponse', webhookResponse],
  ['StartJobRequest', startBodySchema],
  ['StartJobResponse', startResponse],
  ['PresignRequest', presignBodySchema],
  ['PresignedUrls', presignedPairSchema],
  ['SegmentationResult', segmentationBodySchema],
  ['BackgroundsResult', backgroundsBodySchema],
  ['CompositeResult', compositeBodySchema],
  ['StorefrontResult', shopifyBodySchema],
  ['FailJobRequest', failBodySchema],
  ['RejectJobRequest', rejectBodySchema],
  ['Health', health],
  ['Error', errorBodySchema],
];

function componentSchemas(): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of COMPONENTS) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonObject;
    schemas[id] = rest;
  }
  return schemas;
}

function inline(schema: z.ZodType): JsonObject {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return rest;
}

const ref = (id: string): JsonObject => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string): JsonObject => ({ description, content: { 'application/json': { schema: ref(id) } } });
const error = (description: string): JsonObject => json('Error', description);
const body = (id: string, required = true): JsonObject => ({ required, content: { 'application/json': { schema: ref(id) } } });
const idParam = { name: 'id', in: 'path', required: true, schema: inline(jobIdSchema) };

const COMMON_ERRORS = { '401': error('Missing or wrong bearer token'), '404': error('No such job') };

function op(summary: string, extra: JsonObject, responses: JsonObject, secured = true): JsonObject {
  return {
    summary,
    ...extra,
    ...(secured ? {} : { security: [] }),
    responses: { ...responses, ...(secured ? { '401': error('Missing or wrong bearer token') } : {}) },
  };
}

function stepOp(summary: string, schema: string): JsonObject {
  return {
    post: op(
      summary,
      { parameters: [idParam], requestBody: body(schema) },
      {
        '200': json('JobResponse', 'The job, advanced to the next status'),
        '400': error('Invalid input (the field is named)'),
        '404': COMMON_ERRORS['404'],
        '409': error('Not an external job, or not in the status this step follows'),
      },
    ),
  };
}

/** Builds the document. Paths are relative to the router's mount point (servers[0].url). */
export function buildOpenApiDocument(opts: OpenApiOptions = {}): JsonObject {
  const paths: Record<string, JsonObject> = {
    '/webhooks/3jms/images': {
      post: op(
        'Receive a product photo (signed webhook); idempotent on (sku, sha256, theme)',
        {
          description:
            'Authenticated by its HMAC-SHA256 signature over the raw body (x-3jms-signature or x-webhook-signature, hex, optional "sha256=" prefix), or by Standard Webhooks headers when so configured.',
          security: [{ webhookSignature: [] }],
          requestBody: body('WebhookImage'),
        },
        {
          '201': json('WebhookResponse', 'Job created'),
          '200': json('WebhookResponse', 'Duplicate delivery: the existing job'),
          '400': error('Malformed JSON or invalid field'),
          '401': error('Signature missing, wrong or stale'),
          '409': error('Image limit of the SKU reached'),
          '413': error('Body too large'),
          '415': error('Compressed body (Content-Encoding): the signature covers the bytes as sent'),
          '500': error('BODY_NOT_RAW: a JSON parser in front of jobkit consumed the raw body'),
        },
        false,
      ),
    },
    '/jobs': {
      get: op(
        'List jobs, newest first',
        {
          parameters: [
            { name: 'status', in: 'query', schema: inline(statusSchema) },
            { name: 'sku', in: 'query', schema: inline(skuSchema) },
            { name: 'theme', in: 'query', schema: inline(themeSchema) },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, description: 'Page size (default 50, capped by the service)' } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
        },
        { '200': json('JobPage', 'A page of jobs'), '400': error('Invalid filter') },
      ),
    },
    '/jobs/stats': { get: op('Counts by status, spend, durations, failure rate', {}, { '200': json('JobStats', 'Statistics') }) },
    '/jobs/{id}': { get: op('One job', { parameters: [idParam] }, { '200': json('JobResponse', 'The job'), '404': COMMON_ERRORS['404'] }) },
    '/jobs/{id}/events': {
      get: op('State history of a job', { parameters: [idParam] }, { '200': json('JobEvents', 'Events, oldest first'), '404': COMMON_ERRORS['404'] }),
    },
    '/jobs/{id}/start': {
      post: op(
        'Start a NEW job (worker → QUEUED; external → SEGMENTING plus presigned URLs for the original and the mask)',
        { parameters: [idParam], requestBody: body('StartJobRequest', false) },
        {
          '200': json('StartJobResponse', 'Started, or already started with the same driver'),
          '400': error('Invalid driver'),
          '404': COMMON_ERRORS['404'],
          '409': error('Already driven by the other driver, or not startable'),
        },
      ),
    },
    '/jobs/{id}/presign': {
      post: op(
        "Presigned PUT and/or GET URLs for one of the job's objects",
        { parameters: [idParam], requestBody: body('PresignRequest') },
        {
          '200': json('PresignedUrls', 'URLs'),
          '400': error('Invalid kind, variant or aspect'),
          '404': COMMON_ERRORS['404'],
          '409': error('PUT for a worker-driven job'),
        },
      ),
    },
    '/jobs/{id}/segmentation': stepOp('Record the mask (SEGMENTING → BG_GENERATING)', 'SegmentationResult'),
    '/jobs/{id}/backgrounds': stepOp('Record the backgrounds (BG_GENERATING → COMPOSITING)', 'BackgroundsResult'),
    '/jobs/{id}/composite': stepOp('Record composites and thumbnails (COMPOSITING → REVIEW or SHOPIFY_PUSH, by the review policy)', 'CompositeResult'),
    '/jobs/{id}/shopify': stepOp('Record storefront media ids (SHOPIFY_PUSH → DONE)', 'StorefrontResult'),
    '/jobs/{id}/approve': {
      post: op(
        'Approve a cut held in REVIEW (REVIEW → SHOPIFY_PUSH)',
        { parameters: [idParam] },
        { '200': json('JobResponse', 'The approved job'), '404': COMMON_ERRORS['404'], '409': error('Not in REVIEW') },
      ),
    },
    '/jobs/{id}/reject': {
      post: op(
        'Reject a cut held in REVIEW (REVIEW → FAILED with REJECTED, or back to SEGMENTING with retryWith "hosted")',
        { parameters: [idParam], requestBody: body('RejectJobRequest') },
        {
          '200': json('JobResponse', 'The rejected job'),
          '400': error('Missing reason, or retryWith "hosted" without a hosted segmenter'),
          '404': COMMON_ERRORS['404'],
          '409': error('Not in REVIEW'),
        },
      ),
    },
    '/jobs/{id}/fail': {
      post: op(
        'Fail a job (any non-terminal status → FAILED)',
        { parameters: [idParam], requestBody: body('FailJobRequest') },
        {
          '200': json('JobResponse', 'The failed job'),
          '400': error('Invalid code or message'),
          '404': COMMON_ERRORS['404'],
          '409': error('Already finished'),
        },
      ),
    },
    '/jobs/{id}/retry': {
      post: op(
        'Retry a FAILED job from the step that failed',
        { parameters: [idParam] },
        { '200': json('JobResponse', 'The job, back in its failed status'), '404': COMMON_ERRORS['404'], '409': error('Not FAILED') },
      ),
    },
    '/healthz': { get: op('Liveness', {}, { '200': json('Health', 'The process answers') }, false) },
    '/readyz': { get: op('Readiness: the job store answers', {}, { '200': json('Health', 'Ready'), '503': error('The job store is not reachable') }, false) },
    '/openapi.json': { get: op('This document', {}, { '200': { description: 'OpenAPI 3.1 document' } }, false) },
  };
  if (opts.files) {
    const keyParam = { name: 'key', in: 'path', required: true, schema: { type: 'string' }, description: 'Object key (may contain "/")' };
    const sigParams = ['method', 'expires', 'signature'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'string' } }));
    paths['/files/{key}'] = {
      get: op(
        'Download an object through a signed URL',
        { parameters: [keyParam, ...sigParams], security: [] },
        {
          '200': { description: 'The bytes', content: { 'image/*': {} } },
          '401': error('Signature missing, wrong, for another method, or expired'),
          '404': error('No such object'),
        },
        false,
      ),
      put: op(
        'Upload an object through a signed URL',
        { parameters: [keyParam, ...sigParams], security: [], requestBody: { required: true, content: { 'image/*': {} } } },
        {
          '200': {
            description: 'Stored',
            content: { 'application/json': { schema: { type: 'object', properties: { key: { type: 'string' }, size: { type: 'integer' } } } } },
          },
          '401': error('Signature missing, wrong, for another method, or expired'),
          '413': error('Upload too large'),
          '415': error('Not an image content type'),
          '422': error("CHECKSUM_MISMATCH: an original's bytes do not hash to the sha256 its key names"),
        },
        false,
      ),
    };
  }
  if (opts.metrics) {
    const secured = opts.metrics === 'token';
    paths['/metrics'] = {
      get: op(
        'Prometheus metrics (text exposition format)',
        {},
        {
          '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          '503': error('The job store could not be read'),
        },
        secured,
      ),
    };
  }
  if (opts.replicateWebhook) {
    paths['/webhooks/replicate'] = {
      post: op(
        'Replicate prediction callback (Standard Webhooks signature); wakes the job',
        { security: [] },
        { '202': { description: 'Accepted' }, '401': error('Bad signature') },
        false,
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: opts.title ?? 'jobkit API', version: opts.version ?? '0.1.0' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: opts.serverUrl ?? '/api' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        webhookSignature: { type: 'apiKey', in: 'header', name: 'x-3jms-signature', description: 'hex HMAC-SHA256 of the raw body' },
      },
    },
  };
}
