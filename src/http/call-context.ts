// Builds the broker's CallContext from the Hono context.
import { HEADER_VALUE_MAX } from './text-bounds.js';
import type { Context } from 'hono';
import type { CallContext } from '../broker/context.js';
import { cacheDirectives } from './cache-directives.js';
import type { AppEnv } from './context.js';

/** A user agent is kept for the audit session; real ones are short, and nothing needs more. */

export function callContext(c: Context<AppEnv>): CallContext {
  return {
    requestId: c.get('requestId'),
    sessionId: c.get('sessionId'),
    keyId: c.get('principal').keyId,
    principal: c.get('principal'),
    signal: c.req.raw.signal,
    startedAt: c.get('startedAt'),
    routeTag: c.req.header('x-route-tag') ?? null,
    team: c.get('principal').teamId,
    timing: c.get('timing'),
    userAgent: c.req.header('user-agent')?.slice(0, HEADER_VALUE_MAX) ?? null,
    cache: cacheDirectives(c.req.header('cache-control'), c.req.header('x-gateway-cache-ttl')),
  };
}
