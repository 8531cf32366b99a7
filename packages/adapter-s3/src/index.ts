// @jobkit/adapter-s3: an ObjectStore on S3 and S3-compatible servers, with presigned URLs.
export { createS3ObjectStore, type S3ObjectStore } from './s3-object-store.js';
export type { S3ObjectStoreOptions } from './options.js';
export { S3_CLIENT_DEFAULTS, createS3Client } from './client.js';
export { mapS3Error, type S3ErrorContext } from './errors.js';
export { s3ConfigFromEnv, type S3EnvConfig } from './env.js';
