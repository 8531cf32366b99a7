/**
 * Bearer-token authentication for the management endpoints. Tokens are compared in constant time:
 * both sides are hashed to 32 bytes first (so lengths never leak) and every configured token is checked
 * (so the matching position never leaks).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { JobkitError, invalidInput } from 'jobkit';
import type { RequestHeaders } from './exchange.js';

export interface AuthOptions {
  /** Accepted bearer tokens (several during rotation). Each at least 16 characters. */
  tokens: readonly string[];
}

const MIN_TOKEN_LENGTH = 16;
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Validates the options at handler creation; throws INVALID_INPUT naming the field. */
export function resolveAuth(auth: AuthOptions | undefined): Buffer[] {
  if (!auth || !Array.isArray(auth.tokens) || auth.tokens.length === 0) {
    throw invalidInput('auth.tokens', 'at least one API token is required for the management endpoints');
  }
  return auth.tokens.map((t, i) => {
    if (typeof t !== 'string' || t.length < MIN_TOKEN_LENGTH || /\s/.test(t)) {
      throw invalidInput(`auth.tokens.${i}`, `must be a string of at least ${MIN_TOKEN_LENGTH} characters without whitespace`);
    }
    return digest(t);
  });
}

/** True when `presented` equals one of the token digests; time independent of which one or how close. */
export function tokenMatches(presented: string, digests: readonly Buffer[]): boolean {
  const d = digest(presented);
  let ok = false;
  for (const expected of digests) ok = timingSafeEqual(d, expected) || ok;
  return ok;
}

/** Throws UNAUTHORIZED (with a `WWW-Authenticate: Bearer` challenge) unless the request carries a valid token. */
export function requireBearer(headers: RequestHeaders, digests: readonly Buffer[]): void {
  const header = headers['authorization'];
  const m = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
  if (!m || !tokenMatches(m[1]!, digests)) {
    throw new JobkitError('UNAUTHORIZED', m ? 'invalid API token' : 'missing "Authorization: Bearer <token>" header', {
      details: { challenge: 'Bearer realm="jobkit"' },
    });
  }
}
