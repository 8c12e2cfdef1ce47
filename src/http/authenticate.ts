// Reads the caller's key (Authorization: Bearer or x-api-key) and sets the principal.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';

export function bearerToken(authorization: string | undefined, apiKey: string | undefined): string | null {
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (m) return m[1]!.trim();
  }
  return apiKey?.trim() || null;
}

/**
 * Without virtual keys configured the gateway is open (like a local dev proxy), and every caller is
 * the anonymous principal. Virtual keys (the policy engine) replace this with a real lookup.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', { keyId: null });
    await next();
  };
}
