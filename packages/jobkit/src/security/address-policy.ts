/**
 * Which network addresses the server may fetch from. Everything that is not public unicast is refused
 * (loopback, private, link-local incl. cloud metadata 169.254.169.254, unique-local, CGNAT, multicast,
 * reserved, IPv4-mapped / NAT64 / 6to4 / Teredo forms) unless an allowlist entry permits it.
 * Classification uses ipaddr.js, never regexes on address strings.
 */
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** Allow every address (local testing only). */
  allowPrivate?: boolean | undefined;
  /** CIDRs (e.g. "10.1.0.0/16", "::1/128") or exact hostnames that are allowed despite the rules. */
  allowlist?: readonly string[] | undefined;
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

function normalise(addr: Addr): Addr {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

function inAllowlist(addr: Addr, policy: AddressPolicy): boolean {
  for (const entry of policy.allowlist ?? []) {
    if (!entry.includes('/')) continue;
    try {
      const [range, bits] = ipaddr.parseCIDR(entry);
      for (const a of [addr, normalise(addr)]) {
        if (a.kind() === range.kind() && a.match(range, bits)) return true;
      }
    } catch {
      // An invalid entry never allows anything.
    }
  }
  return false;
}

/** Parses an IP literal (any spelling ipaddr.js accepts, incl. decimal/octal IPv4); null when not an IP. */
export function parseIp(value: string): Addr | null {
  const v = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  // Cheap pre-filter: ipaddr.js throws (slowly) on every non-IP; hostnames are the common case.
  if (!v.includes(':') && !/^[0-9a-fx.]+$/i.test(v)) return null;
  try {
    if (ipaddr.IPv4.isValid(v) || ipaddr.IPv6.isValid(v)) return ipaddr.parse(v);
  } catch {
    return null;
  }
  return null;
}

/** Why an address is refused (its ipaddr.js range name), or null when it may be fetched. */
export function forbiddenAddressReason(ip: string, policy: AddressPolicy = {}): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return 'not an IP address';
  if (policy.allowPrivate) return null;
  const addr = normalise(parsed);
  if (inAllowlist(addr, policy)) return null;
  const range = addr.range();
  return range === 'unicast' ? null : range;
}

/** Hostnames that always mean "this machine". */
export function isLocalHostname(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain';
}

export function hostAllowlisted(host: string, policy: AddressPolicy): boolean {
  return (policy.allowlist ?? []).some((e) => !e.includes('/') && e.toLowerCase() === host.toLowerCase());
}
