// CSRF defence for the console's forms: a per-session token derived by HMAC, and the browser's own word on where a request came from.
import { createHmac } from 'node:crypto';
import type { Context } from 'hono';
import { deriveKey, safeEqual } from './auth.js';

export const CSRF_FIELD = '_csrf';

export function csrfToken(adminKey: string, sessionNonce: string): string {
  return createHmac('sha256', deriveKey(adminKey, 'csrf')).update(sessionNonce).digest('base64url');
}

export function csrfValid(adminKey: string, sessionNonce: string, given: unknown): boolean {
  return typeof given === 'string' && given.length > 0 && given.length <= 128 && safeEqual(given, csrfToken(adminKey, sessionNonce));
}

/**
 * Browsers say where a request came from (Sec-Fetch-Site, else Origin); a cross-site one is refused even with a token.
 * Clients that send neither (curl, scripts) are not browsers riding a cookie: the token alone decides for them.
 */
export function sameOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything unparsable
  }
  const own = [c.req.header('host'), c.req.header('x-forwarded-host')?.split(',')[0]?.trim(), new URL(c.req.url).host];
  return own.some((h) => h !== undefined && h.toLowerCase() === host.toLowerCase());
}
