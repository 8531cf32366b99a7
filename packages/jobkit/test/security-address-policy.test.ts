/**
 * The SSRF address policy, table-driven over many spellings of every special-purpose range in the IANA
 * IPv4 and IPv6 special-purpose registries, checked both where the guard runs: at job creation (the URL
 * guard, literal hosts) and at connect time (the resolved addresses a DNS answer returns).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFetchableUrl, createJobService, createMemoryJobStore, fetchOriginal, forbiddenAddressReason } from 'jobkit';
import { rejectionOf } from 'jobkit/testing';

/** [address as a URL host would spell it, why it is refused]. */
const REFUSED: Array<[string, string]> = [
  // IPv4 special-purpose registry (+ multicast, broadcast)
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.254', 'carrierGradeNat'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'linkLocal'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.0.0.1', 'ietfProtocolAssignments'],
  ['192.0.0.9', 'ietfProtocolAssignments'],
  ['192.0.0.170', 'ietfProtocolAssignments'],
  ['192.0.2.10', 'documentation'],
  ['192.31.196.1', 'as112'],
  ['192.52.193.1', 'amt'],
  ['192.88.99.1', 'deprecated6to4Relay'],
  ['192.168.1.1', 'private'],
  ['192.175.48.1', 'as112'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.7', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv6 special-purpose registry and everything outside global unicast 2000::/3
  ['[::]', 'unspecified'],
  ['[::1]', 'loopback'],
  ['[0:0:0:0:0:0:0:1]', 'loopback'],
  ['[::7f00:1]', 'ipv4Compatible'], // deprecated IPv4-compatible ::127.0.0.1 (issue 17.1)
  ['[::a9fe:a9fe]', 'ipv4Compatible'], // ::169.254.169.254 (issue 17.1)
  ['[::127.0.0.1]', 'ipv4Compatible'], // how inet_ntop prints ::7f00:1 (a resolver's answer)
  ['[::0.0.0.2]', 'ipv4Compatible'],
  ['[::808:808]', 'ipv4Compatible'], // refused even with a public IPv4 inside: deprecated, not routed as IPv6
  ['[::ffff:0:7f00:1]', 'ipv4Translated'],
  ['[64:ff9b:1::a00:1]', 'nat64LocalUse'],
  ['[64:ff9b:1::808:808]', 'nat64LocalUse'],
  ['[100::1]', 'discard'],
  ['[100:0:0:1::1]', 'dummyPrefix'],
  ['[2001::1]', 'teredo'],
  ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'teredo'],
  ['[2001:1::1]', 'ietfProtocolAssignments'],
  ['[2001:2::1]', 'ietfProtocolAssignments'],
  ['[2001:3::1]', 'ietfProtocolAssignments'],
  ['[2001:4:112::1]', 'ietfProtocolAssignments'],
  ['[2001:10::1]', 'ietfProtocolAssignments'],
  ['[2001:20::1]', 'ietfProtocolAssignments'],
  ['[2001:1ff::1]', 'ietfProtocolAssignments'],
  ['[2001:db8::1]', 'documentation'],
  ['[2620:4f:8000::1]', 'as112'],
  ['[3fff::1]', 'documentation'],
  ['[3fff:fff:ffff::1]', 'documentation'],
  ['[5f00::1]', 'notGlobalUnicast'],
  ['[4000::1]', 'notGlobalUnicast'],
  ['[1::1]', 'notGlobalUnicast'],
  ['[fc00::1]', 'uniqueLocal'],
  ['[fd12:3456::1]', 'uniqueLocal'],
  ['[fe80::1]', 'linkLocal'],
  ['[febf::1]', 'linkLocal'],
  ['[fec0::1]', 'notGlobalUnicast'],
  ['[ff02::1]', 'multicast'],
  ['[ff0e::1]', 'multicast'],
  // Forms that embed an IPv4 address are judged by that address.
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['[0:0:0:0:0:ffff:a9fe:a9fe]', 'linkLocal'],
  ['[::ffff:10.0.0.1]', 'private'],
  ['[::ffff:0.0.0.0]', 'unspecified'],
  ['[64:ff9b::127.0.0.1]', 'loopback'],
  ['[64:ff9b::a9fe:a9fe]', 'linkLocal'],
  ['[64:ff9b::c0a8:101]', 'private'],
  ['[2002:7f00:1::]', 'loopback'],
  ['[2002:a9fe:a9fe::1]', 'linkLocal'],
  ['[2002:c0a8:101:1::1]', 'private'],
  ['[2002:0:0::1]', 'unspecified'],
];

/** Odd IPv4 spellings a URL parser turns into the forms above. */
const IPV4_SPELLINGS = ['2130706433', '0x7f000001', '0177.0.0.1', '0x7f.1', '127.1', '017700000001', '0xa9.0xfe.0xa9.0xfe', '2852039166'];

const ALLOWED = [
  '8.8.8.8',
  '1.1.1.1',
  '100.63.255.255',
  '100.128.0.0',
  '172.32.0.1',
  '192.0.1.1',
  '198.17.255.255',
  '223.255.255.255',
  '[2606:4700::1111]',
  '[2a00:1450:4001:80b::200e]',
  '[2001:200::1]',
  '[64:ff9b::808:808]',
  '[::ffff:8.8.8.8]',
  '[2002:808:808::1]',
  '[2620:4f:7fff::1]',
];

const strip = (host: string) => host.replace(/^\[|\]$/g, '');

describe('forbiddenAddressReason: the IANA special-purpose registries', () => {
  it.each(REFUSED)('%s is refused (%s)', (host, reason) => {
    expect(forbiddenAddressReason(strip(host))).toBe(reason);
  });

  it.each(ALLOWED)('%s is global unicast and allowed', (host) => {
    expect(forbiddenAddressReason(strip(host))).toBeNull();
  });

  it('an allowlist entry permits an address, also inside a form that embeds it; allowPrivate permits all', () => {
    expect(forbiddenAddressReason('127.0.0.1', { allowlist: ['127.0.0.1/32'] })).toBeNull();
    expect(forbiddenAddressReason('::ffff:7f00:1', { allowlist: ['127.0.0.0/8'] })).toBeNull();
    expect(forbiddenAddressReason('64:ff9b::a00:5', { allowlist: ['10.0.0.0/8'] })).toBeNull();
    expect(forbiddenAddressReason('::1', { allowlist: ['::1/128'] })).toBeNull();
    expect(forbiddenAddressReason('::7f00:1', { allowlist: ['127.0.0.0/8'] })).toBe('ipv4Compatible');
    expect(forbiddenAddressReason('127.0.0.2', { allowlist: ['127.0.0.1/32', 'not a cidr/99'] })).toBe('loopback');
    expect(forbiddenAddressReason('::7f00:1', { allowPrivate: true })).toBeNull();
  });
});

describe('at job creation (URL guard)', () => {
  it.each(REFUSED)('http://%s/ is refused with INVALID_INPUT (%s)', (host, reason) => {
    const e = (() => {
      try {
        assertFetchableUrl(`http://${host}/a.jpg`);
      } catch (err) {
        return err as { code: string; message: string };
      }
      return null;
    })();
    expect(e?.code).toBe('INVALID_INPUT');
    expect(e?.message).toContain(`(${reason})`);
  });

  it.each(IPV4_SPELLINGS)('http://%s/ (an odd IPv4 spelling) is refused', (host) => {
    expect(() => assertFetchableUrl(`http://${host}/a.jpg`)).toThrow(/not public/);
  });

  it.each(ALLOWED)('http://%s/ passes the static guard', (host) => {
    expect(assertFetchableUrl(`http://${host}/a.jpg`).pathname).toBe('/a.jpg');
  });

  it('createJob refuses the IPv4-compatible spellings from the report and creates nothing', async () => {
    const store = createMemoryJobStore();
    const service = createJobService({ store });
    for (const imageUrl of ['http://[::7f00:1]/a.jpg', 'http://[::a9fe:a9fe]/latest/meta-data/', 'http://[64:ff9b:1::a9fe:a9fe]/']) {
      const e = await rejectionOf(service.createJob({ sku: 'SKU-1', imageUrl, sha256: 'a'.repeat(64), theme: 'studio' }));
      expect(e.code, imageUrl).toBe('INVALID_INPUT');
    }
    expect((await service.listJobs({})).total).toBe(0);
  });
});

describe('at connect time (resolved addresses)', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** A resolver that answers like a rebinding attacker: a public-looking name, the address under test. */
  const resolvingTo = (address: string) =>
    ((_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, [{ address, family: address.includes(':') ? 6 : 4 }])) as never;

  it.each(REFUSED)('a name resolving to %s is refused before connecting (%s)', async (host, reason) => {
    const e = await rejectionOf(fetchOriginal(`http://images.example.com:${port}/a.png`, null, { dnsLookup: resolvingTo(strip(host)) }));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(`non-public address (${reason})`);
  });

  it('the allowlist still lets a test reach loopback (the address that was checked is the one connected to)', async () => {
    const got = await fetchOriginal(`http://images.example.com:${port}/a.png`, null, {
      dnsLookup: resolvingTo('127.0.0.1'),
      addressPolicy: { allowlist: ['127.0.0.1/32'] },
    });
    expect(got.bytes.length).toBeGreaterThan(0);
  });
});
