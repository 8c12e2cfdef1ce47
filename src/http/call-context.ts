// Builds the broker's CallContext from the Hono context.
import type { Context } from 'hono';
import type { CallContext } from '../broker/chat.js';
import type { AppEnv } from './context.js';

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
    userAgent: c.req.header('user-agent') ?? null,
  };
}
