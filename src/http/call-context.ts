// Builds the broker's CallContext from the Hono context.
import { HEADER_VALUE_MAX } from './text-bounds.js';
import type { Context } from 'hono';
import type { CallContext } from '../broker/context.js';
import type { AppEnv } from './context.js';

/** A user agent is kept for the audit session; real ones are short, and nothing needs more. */

export function callContext(c: Context<AppEnv>): CallContext {
  return {
    requestId: c.var.requestId,
    sessionId: c.var.sessionId,
    keyId: c.var.principal.keyId,
    principal: c.var.principal,
    signal: c.req.raw.signal,
    startedAt: c.var.startedAt,
    routeTag: c.req.header('x-route-tag') ?? null,
    team: c.var.principal.teamId,
    timing: c.var.timing,
    userAgent: c.req.header('user-agent')?.slice(0, HEADER_VALUE_MAX) ?? null,
  };
}
