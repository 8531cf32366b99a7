import { JobkitError } from 'jobkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore, s3ConfigFromEnv } from '../src/index.js';
import { startS3TestServer, type S3TestServer } from './support/s3-server.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (JobkitError.is(e, 'INVALID_INPUT')) return e.details?.field as string;
    throw e;
  }
  return undefined;
}

describe('s3ConfigFromEnv', () => {
  it('returns null when JOBKIT_S3_BUCKET is unset or empty', () => {
    expect(s3ConfigFromEnv({})).toBeNull();
    expect(s3ConfigFromEnv({ JOBKIT_S3_BUCKET: '  ', JOBKIT_S3_REGION: 'nonsense!' })).toBeNull();
  });

  it('minimal: bucket only → us-east-1, SDK default credential chain, no endpoint', () => {
    expect(s3ConfigFromEnv({ JOBKIT_S3_BUCKET: 'photos' })).toEqual({ bucket: 'photos', clientConfig: { region: 'us-east-1' } });
  });

  it('reads every variable', () => {
    expect(
      s3ConfigFromEnv({
        JOBKIT_S3_BUCKET: 'photos',
        JOBKIT_S3_PREFIX: 'shop-1/',
        JOBKIT_S3_ENDPOINT: 'https://acc.r2.cloudflarestorage.com/',
        JOBKIT_S3_REGION: 'auto',
        JOBKIT_S3_FORCE_PATH_STYLE: 'false',
        JOBKIT_S3_PUBLIC_URLS: 'no',
        AWS_ACCESS_KEY_ID: 'AKIA123',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
      }),
    ).toEqual({
      bucket: 'photos',
      prefix: 'shop-1',
      publicUrls: false,
      clientConfig: {
        region: 'auto',
        endpoint: 'https://acc.r2.cloudflarestorage.com',
        forcePathStyle: false,
        credentials: { accessKeyId: 'AKIA123', secretAccessKey: 'secret', sessionToken: 'token' },
      },
    });
  });

  it('path-style defaults to true with a custom endpoint (MinIO), and stays unset without one', () => {
    expect(s3ConfigFromEnv({ JOBKIT_S3_BUCKET: 'b-1', JOBKIT_S3_ENDPOINT: 'http://minio:9000' })?.clientConfig.forcePathStyle).toBe(true);
    expect(s3ConfigFromEnv({ JOBKIT_S3_BUCKET: 'b-1' })?.clientConfig).not.toHaveProperty('forcePathStyle');
    expect(s3ConfigFromEnv({ JOBKIT_S3_BUCKET: 'b-1', JOBKIT_S3_FORCE_PATH_STYLE: '1' })?.clientConfig.forcePathStyle).toBe(true);
  });

  it.each([
    [{ JOBKIT_S3_BUCKET: 'Bad_Name' }, 'JOBKIT_S3_BUCKET'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_PREFIX: '../escape' }, 'JOBKIT_S3_PREFIX'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_ENDPOINT: 'minio:9000' }, 'JOBKIT_S3_ENDPOINT'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_ENDPOINT: 'ftp://minio' }, 'JOBKIT_S3_ENDPOINT'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_ENDPOINT: 'http://user:pw@minio:9000' }, 'JOBKIT_S3_ENDPOINT'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_REGION: 'US East' }, 'JOBKIT_S3_REGION'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_FORCE_PATH_STYLE: 'maybe' }, 'JOBKIT_S3_FORCE_PATH_STYLE'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', JOBKIT_S3_PUBLIC_URLS: '2' }, 'JOBKIT_S3_PUBLIC_URLS'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', AWS_ACCESS_KEY_ID: 'AKIA1' }, 'AWS_SECRET_ACCESS_KEY'],
    [{ JOBKIT_S3_BUCKET: 'ok-bucket', AWS_SECRET_ACCESS_KEY: 'x' }, 'AWS_ACCESS_KEY_ID'],
  ])('%j → INVALID_INPUT naming %s', (env, field) => {
    expect(fieldOf(() => s3ConfigFromEnv(env))).toBe(field);
  });

  describe('against the test server', () => {
    let server: S3TestServer;
    beforeAll(async () => {
      server = await startS3TestServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('the result plugs straight into createS3ObjectStore', async () => {
      const config = s3ConfigFromEnv({
        JOBKIT_S3_BUCKET: server.bucket,
        JOBKIT_S3_PREFIX: 'from-env',
        JOBKIT_S3_ENDPOINT: server.endpoint,
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      });
      expect(config).not.toBeNull();
      const store = createS3ObjectStore(config!);
      await store.put('a/b.jpg', Buffer.from('env'));
      expect((await store.get('a/b.jpg')).toString()).toBe('env');
      const root = createS3ObjectStore({ bucket: server.bucket, clientConfig: server.clientConfig });
      expect(await root.exists('from-env/a/b.jpg')).toBe(true);
      store.close();
      root.close();
    });
  });
});
