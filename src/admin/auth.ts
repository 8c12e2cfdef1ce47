// Guards /admin/*: the GATEWAY_ADMIN_KEY bearer, compared in constant time; without an admin key the API is off.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { bearerToken } from '../http/authenticate.js';
import type { AppEnv } from '../http/context.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const adminKey = c.var.deps.config.auth.adminKey;
    if (!adminKey) throw new GatewayError('not_found', 'The admin API is off: set GATEWAY_ADMIN_KEY to turn it on.');
    const token = bearerToken(c.req.header('authorization'), c.req.header('x-api-key'));
    const headers = { 'www-authenticate': 'Bearer realm="gateway-admin"' };
    if (!token) throw new GatewayError('unauthorized', 'Missing admin key.', { headers });
    if (!timingSafeEqual(digest(token), digest(adminKey))) throw new GatewayError('invalid_api_key', 'Invalid admin key.', { headers });
    await next();
  };
}
