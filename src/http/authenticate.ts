// Reads the caller's key (Authorization: Bearer or x-api-key), checks it, and sets the principal.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { AppEnv, Principal } from './context.js';

export function bearerToken(authorization: string | undefined, apiKey: string | undefined): string | null {
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (m) return m[1]!.trim();
  }
  return apiKey?.trim() || null;
}

export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export interface KeyStore {
  /** True when no keys are configured and the gateway is open. */
  open: boolean;
  lookup(token: string): Principal | null;
}

export function createKeyStore(config: GatewayConfig): KeyStore {
  const byHash = new Map<string, Principal>();
  for (const k of config.keys) byHash.set(k.hash ?? hashKey(k.key!), { keyId: k.id });
  return {
    open: byHash.size === 0,
    // Keys are compared by hash only, so the raw key is never kept beyond this call.
    lookup: (token) => byHash.get(hashKey(token)) ?? null,
  };
}

export const WWW_AUTHENTICATE = 'Bearer realm="gateway"';

/** Rejects a missing or unknown key with 401 before any route runs; open gateways let everyone in. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const keys = c.var.deps.keys;
    const token = bearerToken(c.req.header('authorization'), c.req.header('x-api-key'));
    if (keys.open) {
      c.set('principal', { keyId: null });
      return next();
    }
    const headers = { 'www-authenticate': WWW_AUTHENTICATE };
    if (!token) throw new GatewayError('unauthorized', 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key".', { headers });
    const principal = keys.lookup(token);
    if (!principal) throw new GatewayError('invalid_api_key', 'Invalid API key.', { headers });
    c.set('principal', principal);
    return next();
  };
}
