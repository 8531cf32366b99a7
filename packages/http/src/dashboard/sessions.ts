/**
 * Dashboard sessions: random 256-bit ids kept server-side in memory with an absolute expiry. The cookie
 * holds only the id (HttpOnly, SameSite=Strict, Secure on https). Each session has its own CSRF token,
 * compared in constant time on every POST. In-memory means sessions live in one process: behind several
 * instances, use sticky sessions (or log in once per instance); a restart logs everyone out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  /** One message shown on the next page (after a POST → redirect). */
  flash: { kind: 'ok' | 'error'; text: string } | null;
}

export interface SessionStore {
  create(now: number): Session;
  get(id: string | undefined, now: number): Session | null;
  destroy(id: string): void;
  readonly size: number;
}

export function createSessionStore(ttlMs: number, maxSessions: number): SessionStore {
  // Map iteration order is insertion order: the first entry is the oldest session.
  const sessions = new Map<string, Session>();
  const sweep = (now: number) => {
    for (const [id, s] of sessions) if (s.expiresAt <= now) sessions.delete(id);
  };
  return {
    create(now) {
      if (sessions.size >= maxSessions) sweep(now);
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      const session: Session = {
        id: randomBytes(32).toString('base64url'),
        csrf: randomBytes(32).toString('base64url'),
        createdAt: now,
        expiresAt: now + ttlMs,
        flash: null,
      };
      sessions.set(session.id, session);
      return session;
    },
    get(id, now) {
      if (!id || id.length > 128) return null;
      const s = sessions.get(id);
      if (!s) return null;
      if (s.expiresAt <= now) {
        sessions.delete(id);
        return null;
      }
      return s;
    },
    destroy(id) {
      sessions.delete(id);
    },
    get size() {
      return sessions.size;
    },
  };
}

const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/** Constant-time comparison (both sides hashed, so the length does not leak either). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAgeSec: number;
}

export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${o.maxAgeSec}`, 'HttpOnly', 'SameSite=Strict'];
  if (o.maxAgeSec === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
