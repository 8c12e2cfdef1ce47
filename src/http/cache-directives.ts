// Reads what a client asks of the response cache: `cache-control: no-cache | no-store` and `x-gateway-cache-ttl: <seconds>`.
import type { CacheDirectives } from '../cache/response-cache.js';
import { GatewayError } from '../errors.js';

const TTL_MAX_S = 30 * 86_400;

/** Undefined when the client said nothing (the common case: no object per request). */
export function cacheDirectives(cacheControl: string | undefined, ttl: string | undefined): CacheDirectives | undefined {
  if (cacheControl === undefined && ttl === undefined) return undefined;
  const d: CacheDirectives = {};
  if (cacheControl) {
    const tokens = cacheControl.toLowerCase().split(',').map((t) => t.trim());
    if (tokens.includes('no-store')) d.noStore = true;
    if (tokens.includes('no-cache')) d.refresh = true;
  }
  if (ttl !== undefined) {
    const s = ttl.trim();
    if (!/^\d{1,8}$/.test(s) || Number(s) < 1 || Number(s) > TTL_MAX_S) {
      throw new GatewayError('invalid_request', `x-gateway-cache-ttl must be a whole number of seconds from 1 to ${TTL_MAX_S}.`, { param: 'x-gateway-cache-ttl' });
    }
    d.ttlMs = Number(s) * 1000;
  }
  return d;
}
