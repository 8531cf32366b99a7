import { describe, expect, it } from 'vitest';
import { JobkitError, signWebhook, verifyWebhook } from 'jobkit';

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    expect(JobkitError.is(e, 'SIGNATURE_INVALID')).toBe(true);
    return String((e as JobkitError).details?.['reason']);
  }
}

describe('Standard Webhooks', () => {
  // The example from the Standard Webhooks specification and its reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const body = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const now = new Date(1614265330 * 1000);
  const scheme = { scheme: 'standard-webhooks' } as const;
  const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };

  it('verifies the spec example', () => {
    expect(verifyWebhook({ body, headers, secrets: secret, scheme, now })).toMatchObject({ id, secretIndex: 0, timestamp: 1614265330 });
  });

  it('signWebhook produces the spec signature', () => {
    expect(signWebhook({ body, secret, scheme, id, now })['webhook-signature']).toBe(signature);
  });

  it('accepts any matching v1 entry among several, and rotated secrets', () => {
    const h = { ...headers, 'webhook-signature': `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${signature}` };
    expect(verifyWebhook({ body, headers: h, secrets: ['whsec_b2xkc2VjcmV0b2xkc2VjcmV0', secret], scheme, now }).secretIndex).toBe(1);
  });

  it('rejects a changed body, wrong secret, missing / malformed headers and stale or future timestamps', () => {
    expect(reason(() => verifyWebhook({ body: `${body} `, headers, secrets: secret, scheme, now }))).toBe('mismatch');
    expect(reason(() => verifyWebhook({ body, headers, secrets: 'whsec_b2xkc2VjcmV0', scheme, now }))).toBe('mismatch');
    expect(reason(() => verifyWebhook({ body, headers: { ...headers, 'webhook-signature': undefined }, secrets: secret, scheme, now }))).toBe('missing_header');
    expect(reason(() => verifyWebhook({ body, headers: { ...headers, 'webhook-signature': 'v2,abc' }, secrets: secret, scheme, now }))).toBe(
      'malformed_header',
    );
    expect(reason(() => verifyWebhook({ body, headers: { ...headers, 'webhook-timestamp': 'yesterday' }, secrets: secret, scheme, now }))).toBe(
      'malformed_header',
    );
    expect(reason(() => verifyWebhook({ body, headers, secrets: secret, scheme, now: new Date(now.getTime() + 301_000) }))).toBe('timestamp_too_old');
    expect(reason(() => verifyWebhook({ body, headers, secrets: secret, scheme, now: new Date(now.getTime() - 301_000) }))).toBe('timestamp_too_new');
    expect(reason(() => verifyWebhook({ body, headers, secrets: secret, scheme, now: new Date(now.getTime() + 299_000) }))).toBe('ok');
  });

  it('accepts a Headers object', () => {
    expect(verifyWebhook({ body, headers: new Headers(headers), secrets: secret, scheme, now }).id).toBe(id);
  });
});

describe('hmac-sha256', () => {
  const body = Buffer.from(JSON.stringify({ sku: 'VWS200433868', sha256: 'a'.repeat(64) }));
  const secret = 'topsecret';

  it('accepts hex, sha256= prefixed and base64 digests in each supported header', () => {
    const hex = signWebhook({ body, secret })['x-3jms-signature']!;
    const b64 = signWebhook({ body, secret, encoding: 'base64' })['x-3jms-signature']!;
    for (const [name, value] of [
      ['x-3jms-signature', hex],
      ['X-Webhook-Signature', `sha256=${hex}`],
      ['x-hub-signature-256', `sha256=${hex}`],
      ['X-Shopify-Hmac-Sha256', b64],
    ] as const) {
      expect(verifyWebhook({ body, headers: { [name]: value }, secrets: secret }).secretIndex).toBe(0);
    }
  });

  it('supports several secrets for rotation', () => {
    const h = signWebhook({ body, secret: 'new-secret' });
    expect(verifyWebhook({ body, headers: h, secrets: ['old-secret', 'new-secret'] }).secretIndex).toBe(1);
  });

  it('rejects with a reason', () => {
    const h = signWebhook({ body, secret });
    expect(reason(() => verifyWebhook({ body, headers: {}, secrets: secret }))).toBe('missing_header');
    expect(reason(() => verifyWebhook({ body, headers: { 'x-3jms-signature': 'zzz' }, secrets: secret }))).toBe('malformed_header');
    expect(reason(() => verifyWebhook({ body, headers: h, secrets: 'wrong' }))).toBe('mismatch');
    expect(reason(() => verifyWebhook({ body: Buffer.concat([body, Buffer.from(' ')]), headers: h, secrets: secret }))).toBe('mismatch');
    expect(reason(() => verifyWebhook({ body, headers: h, secrets: [] }))).toBe('no_secret');
  });

  it('refuses a parsed object instead of the raw body (the seed bug)', () => {
    const h = signWebhook({ body, secret });
    expect(reason(() => verifyWebhook({ body: JSON.parse(body.toString()) as unknown as string, headers: h, secrets: secret }))).toBe('body_not_raw');
  });

  it('checks a timestamp window when a timestamp header is configured', () => {
    const scheme = { scheme: 'hmac-sha256', headers: ['x-webhook-signature'], timestampHeader: 'x-webhook-timestamp' } as const;
    const now = new Date('2026-01-01T00:00:00Z');
    const h = signWebhook({ body, secret, scheme, now });
    expect(verifyWebhook({ body, headers: h, secrets: secret, scheme, now }).timestamp).toBe(now.getTime() / 1000);
    expect(reason(() => verifyWebhook({ body, headers: h, secrets: secret, scheme, now: new Date(now.getTime() + 600_000) }))).toBe('timestamp_too_old');
    expect(
      reason(() => verifyWebhook({ body, headers: { ...h, 'x-webhook-timestamp': String(now.getTime() / 1000 + 1) }, secrets: secret, scheme, now })),
    ).toBe('mismatch');
  });
});
