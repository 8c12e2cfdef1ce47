// The console's login: the admin key compared in constant time, and a stateless signed session cookie any replica can check.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'gw_ui_session';
export const SESSION_TTL_SECONDS = 8 * 3600;
const COOKIE_PATH = '/ui';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const mac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest('base64url');

/** Keys derived from the admin key: rotating it invalidates every session and token, on every replica at once. */
export function deriveKey(adminKey: string, purpose: 'session' | 'csrf'): Buffer {
  return createHmac('sha256', adminKey).update(`gateway-ui/${purpose}/v1`).digest();
}

/** Digests first, so the comparison takes the same time whatever the lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export interface UiSession {
  /** Random per login: what the CSRF token is bound to. */
  nonce: string;
  expiresAt: number;
}

/** `<expiry seconds>.<nonce>.<hmac>`: nothing secret inside, only a signature to check. */
export function issueSession(adminKey: string, now = Date.now()): { token: string; session: UiSession } {
  const exp = Math.floor(now / 1000) + SESSION_TTL_SECONDS;
  const nonce = randomBytes(16).toString('base64url');
  const body = `${exp}.${nonce}`;
  return { token: `${body}.${mac(deriveKey(adminKey, 'session'), body)}`, session: { nonce, expiresAt: exp * 1000 } };
}

export function readSession(adminKey: string, token: string | undefined, now = Date.now()): UiSession | null {
  if (!token || token.length > 200) return null;
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{10,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const [, exp, nonce, sig] = m as unknown as [string, string, string, string];
  if (!safeEqual(sig, mac(deriveKey(adminKey, 'session'), `${exp}.${nonce}`))) return null;
  const expiresAt = Number(exp) * 1000;
  return expiresAt > now ? { nonce, expiresAt } : null;
}

/** Whether the browser reached us over https (directly or through a proxy that says so). */
export function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: COOKIE_PATH, secure: overHttps(c), maxAge: SESSION_TTL_SECONDS });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Strict', path: COOKIE_PATH, secure: overHttps(c) });
}

export const sessionCookie = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

/** Where to go after login: only a console path, never another site (`//evil`, `/\evil`). */
export function safeNext(next: string | undefined): string {
  return next && /^\/ui(?:\/[^/\\]|\/?$|\?)/.test(next) && !/[\x00-\x1f\\]/.test(next) ? next : '/ui/sessions';
}
