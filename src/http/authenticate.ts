// Reads the caller's key (Authorization: Bearer or x-api-key), checks it, and sets the principal.
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { ANONYMOUS } from '../policy/key-store.js';
import type { AppEnv } from './context.js';

export function bearerToken(authorization: string | undefined, apiKey: string | undefined): string | null {
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (m) return m[1]!.trim();
  }
  return apiKey?.trim() || null;
}

export const WWW_AUTHENTICATE = 'Bearer realm="gateway"';

const REASONS = {
  unknown: 'Invalid API key.',
  revoked: 'This API key has been revoked.',
  expired: 'This API key has expired.',
} as const;

/** Rejects a missing, unknown, revoked or expired key with 401 before any route runs; open gateways (no keys anywhere yet) let everyone in. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const keys = c.get('deps').keys;
    if (await keys.isOpen()) {
      c.set('principal', ANONYMOUS);
      return next();
    }
    const headers = { 'www-authenticate': WWW_AUTHENTICATE };
    const token = bearerToken(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!token) throw new GatewayError('unauthorized', 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key".', { headers });
    const found = await keys.lookup(token);
    if (!found.ok) throw new GatewayError('invalid_api_key', REASONS[found.reason], { headers });
    c.set('principal', found.principal);
    return next();
  };
}
