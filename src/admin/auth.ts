// Guards /admin/* (and /metrics once keys exist): the GATEWAY_ADMIN_KEY bearer, compared in constant time, behind a
// per-address throttle of failed attempts; without an admin key the API is off.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { bearerToken } from '../http/authenticate.js';
import type { AppEnv } from '../http/context.js';
import { oversizedKey, throttleAttempt } from './auth-attempt.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.var.deps;
    const adminKey = deps.config.auth.adminKey;
    if (!adminKey) throw new GatewayError('not_found', 'The admin API is off: set GATEWAY_ADMIN_KEY to turn it on.');
    const token = bearerToken(c.req.header('authorization'), c.req.header('x-api-key'));
    const headers = { 'www-authenticate': 'Bearer realm="gateway-admin"' };
    // Compared first (digests: the time does not depend on where the keys differ), so a wrong key is counted in one
    // atomic step: parallel guesses cannot all pass a check made before any of them was counted.
    const right = !!token && !oversizedKey(token, adminKey) && timingSafeEqual(digest(token), digest(adminKey));
    const verdict = await throttleAttempt(c, deps, { surface: 'api', outcome: !token ? 'missing' : right ? 'right' : 'wrong' });
    if (verdict.refused) {
      throw new GatewayError('rate_limit_exceeded', `Too many failed admin key attempts from this address; try again in ${verdict.retryAfterSec} s.`, {
        headers: { 'retry-after': String(verdict.retryAfterSec) },
      });
    }
    if (!token) throw new GatewayError('unauthorized', 'Missing admin key.', { headers });
    if (!right) throw new GatewayError('invalid_api_key', 'Invalid admin key.', { headers });
    await next();
  };
}
