// An open gateway (no keys) must not be drivable by a web page: foreign Origins, and browser posts that are not JSON, are refused on /v1.
import type { MiddlewareHandler } from 'hono';
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { createOriginPolicy, type OriginPolicy } from '../mcp/inbound/origin.js';
import type { AppEnv } from './context.js';

/** JSON, or a type naming JSON (`application/*+json`); parameters such as charset are fine. */
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/**
 * With keys, a page cannot call the API (it has no key). Without them, any site the user visits could
 * POST to localhost with a no-preflight content type (text/plain, a form). Browsers always send
 * `Origin` on a POST: a foreign one is refused, and even an allowed one (a local page) must send JSON.
 * SDKs, curl and scripts send no Origin and keep working whatever their content type (`curl -d` sends
 * a form type; Node's fetch sends text/plain for a string body).
 */
export function openGatewayGuard(): MiddlewareHandler<AppEnv> {
  let cached: { config: GatewayConfig; policy: OriginPolicy } | null = null;
  return async (c, next) => {
    const deps = c.get('deps');
    if (!deps.keys.open) return next();
    // A reload swaps deps.config: the allow-list follows it.
    if (cached?.config !== deps.config) cached = { config: deps.config, policy: createOriginPolicy(deps.config) };
    if (!cached.policy.originAllowed(c.req.header('origin'))) {
      throw new GatewayError('forbidden', 'Origin not allowed: this gateway has no API keys, so browser pages may not call it (allow an origin with mcp.allowedOrigins).', {
        param: 'origin',
      });
    }
    const type = c.req.header('content-type') ?? '';
    if (c.req.method === 'POST' && c.req.header('origin') !== undefined && !JSON_TYPE.test(type)) {
      throw new GatewayError('unsupported_media_type', 'Unsupported Content-Type: send the body as JSON with "Content-Type: application/json".', {
        param: 'content-type',
      });
    }
    return next();
  };
}
