/**
 * Request and response schemas of the HTTP API. Handlers parse with them and the OpenAPI document is
 * generated from them (z.toJSONSchema), so the two cannot drift. Field rules come from the core's schemas.
 */
import { z } from 'zod';
import {
  ERROR_CODES,
  JOB_STATUSES,
  costUsdSchema,
  driverSchema,
  errorCodeSchema,
  listJobsQuerySchema,
  rejectJobSchema,
  httpUrlSchema,
  isSafeKey,
  sha256Schema,
  skuSchema,
  themeSchema,
  type Job,
} from 'jobkit';
import { HTTP_ONLY_CODES } from './errors.js';

/** A relative object key without traversal (the stores check again). */
const objectKeySchema = z.string().min(1).max(1024).refine(isSafeKey, 'must be a safe object key (no "..", no leading "/")');
const keyListSchema = z.array(objectKeySchema).min(1).max(100);
const costSchema = costUsdSchema.meta({ description: 'Provider spend of this step, USD' });
const ASPECT_PATTERN = /^[1-9][0-9]?x[1-9][0-9]?$/;

/** The seed's webhook payload. Unknown fields are ignored so a sender can add fields without breaking deliveries. */
export const webhookBodySchema = z.object({
  sku: skuSchema,
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .meta({ description: 'sha256 of the original photo bytes' }),
  imageUrl: httpUrlSchema.meta({ description: 'http(s) URL of the original photo (fetched by the worker, SSRF-guarded)' }),
  theme: themeSchema.optional().meta({ description: 'Theme name (default "default")' }),
});

export const startBodySchema = z
  .object({ driver: driverSchema.optional().meta({ description: 'worker (default): the built-in worker runs the job; external: you report each step' }) })
  .strict();

const PRESIGN_KINDS = ['original', 'mask', 'bg', 'composite', 'thumb'] as const;
export const presignBodySchema = z
  .object({
    kind: z.enum(PRESIGN_KINDS),
    variant: z.number().int().min(1).max(99).optional().meta({ description: 'Variant number, default 1 (bg, composite, thumb)' }),
    aspect: z.string().regex(ASPECT_PATTERN, 'must look like 1x1, 4x5 or 16x9').optional().meta({ description: 'Aspect, default 1x1 (composite, thumb)' }),
    type: z.enum(['put', 'get', 'both']).optional().meta({ description: 'Which URLs to sign (default both)' }),
  })
  .strict();

export const segmentationBodySchema = z.object({ maskKey: objectKeySchema, costUsd: costSchema.optional() }).strict();

export const backgroundsBodySchema = z
  .object({
    backgroundKeys: keyListSchema.optional(),
    bgKeys: keyListSchema.optional().meta({ description: 'Seed name of backgroundKeys' }),
    costUsd: costSchema.optional(),
  })
  .strict()
  .meta({ description: 'Give backgroundKeys or its seed name bgKeys.' });

export const compositeBodySchema = z
  .object({
    compositeKeys: keyListSchema.optional(),
    composites: keyListSchema.optional().meta({ description: 'Seed name of compositeKeys' }),
    thumbnailKeys: z.array(objectKeySchema).max(100).optional(),
    thumbs: z.array(objectKeySchema).max(100).optional().meta({ description: 'Seed name of thumbnailKeys' }),
    derivativeKeys: z.array(objectKeySchema).max(100).optional(),
    costUsd: costSchema.optional(),
  })
  .strict()
  .meta({ description: 'Give compositeKeys (or composites); thumbnailKeys (or thumbs) optional.' });

export const shopifyBodySchema = z.object({ mediaIds: z.array(z.string().min(1).max(512)).min(1).max(100), costUsd: costSchema.optional() }).strict();

export const failBodySchema = z.object({ code: errorCodeSchema, message: z.string().min(1).max(4000) }).strict();

/** POST /jobs/:id/reject: the service's own rule, documented. */
export const rejectBodySchema = rejectJobSchema.extend({
  reason: rejectJobSchema.shape.reason.meta({ description: "Why the cut is rejected (stored as the job's error message)" }),
  retryWith: rejectJobSchema.shape.retryWith.meta({ description: 'Re-segment with the hosted segmenter instead of failing the job' }),
});

/** The query of GET /jobs: the service's own list rules. */
export const listQuerySchema = listJobsQuerySchema;

const iso = z.string().meta({ format: 'date-time' });

const cutoutQualitySchema = z.object({
  score: z.number().min(0).max(1).meta({ description: '0 (certainly wrong) .. 1 (certainly right)' }),
  reasons: z.array(z.string()).meta({ description: 'What lowered the score, each "<code>: <text>"' }),
});

/** Every field of Job, each with a schema whose output fits the field: a field added to Job fails to compile here. */
type JobShape = { [K in keyof Job]-?: z.ZodType<Job[K]> };

export const jobSchema = z.object({
  id: z.string(),
  sku: z.string(),
  imageUrl: z.string().nullable(),
  sha256: sha256Schema,
  theme: z.string(),
  status: z.enum(JOB_STATUSES),
  driver: z.enum(['worker', 'external']).nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextRunAt: iso.nullable(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: iso.nullable(),
  failedStatus: z.enum(JOB_STATUSES).nullable(),
  providerRef: z.string().nullable(),
  originalKey: z.string().nullable(),
  maskKey: z.string().nullable(),
  backgroundKeys: z.array(z.string()),
  compositeKeys: z.array(z.string()),
  thumbnailKeys: z.array(z.string()),
  derivativeKeys: z.array(z.string()),
  storefrontMediaIds: z.array(z.string()),
  costUsd: z.number(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorStack: z.string().nullable(),
  createdAt: iso,
  updatedAt: iso,
  startedAt: iso.nullable(),
  completedAt: iso.nullable(),
  purgedAt: iso.nullable(),
  quality: cutoutQualitySchema.nullable().meta({ description: "The cutout's quality, set once segmentation ran" }),
  segmentWith: z.enum(['hosted']).nullable().meta({ description: 'Set by a reject with retryWith "hosted" until the hosted segmenter ran' }),
  version: z.number().int(),
} satisfies JobShape);

export const jobEventSchema = z.object({
  id: z.number().int(),
  jobId: z.string(),
  at: iso,
  from: z.enum(JOB_STATUSES).nullable(),
  to: z.enum(JOB_STATUSES),
  attempt: z.number().int(),
  errorCode: z.string().nullable(),
  message: z.string().nullable(),
  costUsd: z.number(),
});

export const statsSchema = z.object({
  total: z.number().int(),
  byStatus: z.record(z.enum(JOB_STATUSES), z.number().int()),
  costUsdTotal: z.number(),
  costUsdToday: z.number(),
  avgDurationMs: z.number().nullable(),
  failureRate: z.number(),
  oldestQueuedAt: iso.nullable(),
});

export const presignedPairSchema = z.object({
  key: z.string(),
  put: z.string().optional().meta({ description: 'Presigned PUT URL' }),
  putHeaders: z.record(z.string(), z.string()).optional().meta({ description: 'Headers the PUT must carry' }),
  get: z.string().optional().meta({ description: 'Presigned GET URL' }),
  expiresAt: iso,
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum([...(Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>), ...(Object.keys(HTTP_ONLY_CODES) as Array<keyof typeof HTTP_ONLY_CODES>)]),
    message: z.string(),
    field: z.string().optional().meta({ description: 'The offending field (INVALID_INPUT)' }),
  }),
});

export type PresignBody = z.infer<typeof presignBodySchema>;
