/**
 * The static part of the SSRF guard, run at createJob: scheme, credentials, literal addresses and
 * local hostnames. The fetcher repeats the address check at connect time (DNS may point anywhere).
 */
import { invalidInput } from '../errors.js';
import { forbiddenAddressReason, hostAllowlisted, isLocalHostname, parseIp, type AddressPolicy } from './address-policy.js';

/** Throws INVALID_INPUT (naming `field`) when `raw` may not be fetched under `policy`. Returns the URL. */
export function assertFetchableUrl(raw: string, policy: AddressPolicy = {}, field = 'imageUrl'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput(field, 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput(field, `scheme ${url.protocol} is not allowed (http or https only)`);
  if (url.username !== '' || url.password !== '') throw invalidInput(field, 'must not contain credentials (user:pass@)');
  // WHATWG URL parsing already normalises odd IPv4 spellings (2130706433, 0177.0.0.1, 0x7f.1) to dotted form.
  const host = url.hostname;
  if (policy.allowPrivate || hostAllowlisted(host, policy)) return url;
  if (isLocalHostname(host)) throw invalidInput(field, `host ${host} is a local address`);
  if (parseIp(host)) {
    const reason = forbiddenAddressReason(host, policy);
    if (reason) throw invalidInput(field, `address ${host} is not public (${reason})`);
  }
  return url;
}
