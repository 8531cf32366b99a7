/**
 * Which network addresses the server may fetch from: global unicast only. Everything listed in the IANA IPv4
 * and IPv6 special-purpose address registries is refused (loopback, private, link-local incl. cloud metadata
 * 169.254.169.254, unique-local, CGNAT, documentation, benchmarking, the IETF protocol blocks, …), as are
 * multicast, reserved space and every IPv6 address outside global unicast 2000::/3 — unless an allowlist
 * entry permits it. The tables below are the policy; ipaddr.js only parses and matches CIDRs.
 *
 * Forms that embed an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) lead to
 * that IPv4 address, so they are judged by it: [64:ff9b::a9fe:a9fe] is the metadata service, while
 * [64:ff9b::808:808] (how an IPv6-only host with DNS64 reaches 8.8.8.8) is public. The deprecated
 * IPv4-compatible ::/96 is refused whatever it embeds: nothing routes it as IPv6 and some stacks hand it
 * to IPv4.
 */
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** Allow every address (local testing only). */
  allowPrivate?: boolean | undefined;
  /** CIDRs (e.g. "10.1.0.0/16", "::1/128") or exact hostnames that are allowed despite the rules. */
  allowlist?: readonly string[] | undefined;
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
type Block<A> = readonly [range: A, bits: number, name: string];

const v4 = (cidr: string, name: string): Block<ipaddr.IPv4> => {
  const [range, bits] = ipaddr.IPv4.parseCIDR(cidr);
  return [range, bits, name];
};
const v6 = (cidr: string, name: string): Block<ipaddr.IPv6> => {
  const [range, bits] = ipaddr.IPv6.parseCIDR(cidr);
  return [range, bits, name];
};

/**
 * IANA IPv4 special-purpose registry, plus multicast and the limited broadcast. Blocks the registry calls
 * globally reachable (PCP/TURN anycast in 192.0.0.0/24, AS112, AMT) are refused too: no photo host lives
 * there. First match wins, so more specific blocks come first.
 */
const IPV4_REFUSED: ReadonlyArray<Block<ipaddr.IPv4>> = [
  v4('0.0.0.0/8', 'unspecified'), // "this network"
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'carrierGradeNat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'linkLocal'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'ietfProtocolAssignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.31.196.0/24', 'as112'),
  v4('192.52.193.0/24', 'amt'),
  v4('192.88.99.0/24', 'deprecated6to4Relay'),
  v4('192.168.0.0/16', 'private'),
  v4('192.175.48.0/24', 'as112'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('240.0.0.0/4', 'reserved'),
];

/** IPv6 forms that carry an IPv4 address the connection ends up at; judged by that address. */
const IPV4_MAPPED = v6('::ffff:0:0/96', 'ipv4Mapped');
const NAT64_WELL_KNOWN = v6('64:ff9b::/96', 'nat64');
const SIX_TO_FOUR = v6('2002::/16', '6to4');

/** IANA IPv6 special-purpose registry and the non-unicast space; first match wins. */
const IPV6_REFUSED: ReadonlyArray<Block<ipaddr.IPv6>> = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'ipv4Compatible'), // deprecated (RFC 4291)
  v6('::ffff:0:0:0/96', 'ipv4Translated'), // SIIT (RFC 6145)
  v6('64:ff9b:1::/48', 'nat64LocalUse'), // RFC 8215: the translator is somewhere inside the network
  v6('100::/64', 'discard'),
  v6('100:0:0:1::/64', 'dummyPrefix'),
  v6('2001::/32', 'teredo'), // embeds an obfuscated IPv4 server and client
  v6('2001::/23', 'ietfProtocolAssignments'), // incl. anycast, AMT, AS112, ORCHID and DET blocks
  v6('2001:db8::/32', 'documentation'),
  v6('2620:4f:8000::/48', 'as112'),
  v6('3fff::/20', 'documentation'),
  v6('fc00::/7', 'uniqueLocal'),
  v6('fe80::/10', 'linkLocal'),
  v6('ff00::/8', 'multicast'),
];
const GLOBAL_UNICAST = v6('2000::/3', 'globalUnicast');

const within = <A extends Addr>(addr: A, [range, bits]: Block<A>): boolean => (addr as ipaddr.IPv6).match(range as ipaddr.IPv6, bits);

/** The IPv4 address an IPv6 address leads to (mapped, NAT64 well-known prefix, 6to4), or null. */
function embeddedIpv4(addr: Addr): ipaddr.IPv4 | null {
  if (addr.kind() !== 'ipv6') return null;
  const v6addr = addr as ipaddr.IPv6;
  const b = v6addr.toByteArray();
  if (within(v6addr, IPV4_MAPPED) || within(v6addr, NAT64_WELL_KNOWN)) return new ipaddr.IPv4(b.slice(12, 16));
  if (within(v6addr, SIX_TO_FOUR)) return new ipaddr.IPv4(b.slice(2, 6));
  return null;
}

function ipv4Reason(addr: ipaddr.IPv4): string | null {
  return IPV4_REFUSED.find((block) => within(addr, block))?.[2] ?? null;
}

function ipv6Reason(addr: ipaddr.IPv6): string | null {
  const embedded = embeddedIpv4(addr);
  if (embedded) return ipv4Reason(embedded);
  const named = IPV6_REFUSED.find((block) => within(addr, block));
  if (named) return named[2];
  return within(addr, GLOBAL_UNICAST) ? null : 'notGlobalUnicast';
}

function inAllowlist(addr: Addr, policy: AddressPolicy): boolean {
  const candidates = [addr, embeddedIpv4(addr)].filter((a): a is Addr => a !== null);
  for (const entry of policy.allowlist ?? []) {
    if (!entry.includes('/')) continue;
    try {
      const [range, bits] = ipaddr.parseCIDR(entry);
      if (candidates.some((a) => a.kind() === range.kind() && a.match(range, bits))) return true;
    } catch {
      // An invalid entry never allows anything.
    }
  }
  return false;
}

/**
 * IPv6 text in the WHATWG URL parser's canonical form (what node:http connects to), or null. ipaddr.js reads
 * a dotted tail after `::` as IPv4-mapped (`::127.0.0.1` → ::ffff:7f00:1) while inet_pton — and resolvers
 * printing an IPv4-compatible AAAA record — mean ::7f00:1; the URL parser agrees with inet_pton.
 */
function canonicalIpv6(v: string): string | null {
  try {
    const host = new URL(`http://[${v}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null; // not IPv6, or with a zone id (fe80::1%eth0): refused as "not an IP address"
  }
}

/** Parses an IP literal (any spelling ipaddr.js accepts, incl. decimal/octal IPv4); null when not an IP. */
export function parseIp(value: string): Addr | null {
  const raw = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  // Cheap pre-filter: ipaddr.js throws (slowly) on every non-IP; hostnames are the common case.
  if (!raw.includes(':') && !/^[0-9a-fx.]+$/i.test(raw)) return null;
  const v = raw.includes(':') ? canonicalIpv6(raw) : raw;
  if (v === null) return null;
  try {
    if (ipaddr.IPv4.isValid(v) || ipaddr.IPv6.isValid(v)) return ipaddr.parse(v);
  } catch {
    return null;
  }
  return null;
}

/** Why an address is refused (the name of its special-purpose block), or null when it may be fetched. */
export function forbiddenAddressReason(ip: string, policy: AddressPolicy = {}): string | null {
  const addr = parseIp(ip);
  if (!addr) return 'not an IP address';
  if (policy.allowPrivate) return null;
  if (inAllowlist(addr, policy)) return null;
  return addr.kind() === 'ipv4' ? ipv4Reason(addr as ipaddr.IPv4) : ipv6Reason(addr as ipaddr.IPv6);
}

/** Hostnames that always mean "this machine". */
export function isLocalHostname(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain';
}

export function hostAllowlisted(host: string, policy: AddressPolicy): boolean {
  return (policy.allowlist ?? []).some((e) => !e.includes('/') && e.toLowerCase() === host.toLowerCase());
}
