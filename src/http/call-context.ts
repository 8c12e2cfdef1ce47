// Builds the broker's CallContext from the Hono context.
import type { Context } from 'hono';
import type { CallContext } from '../broker/chat.js';
import type { AppEnv } from './context.js';

export function callContext(c: Context<AppEnv>): CallContext {
  return {
    requestId: c.var.requestId,
    sessionId: c.var.sessionId,
    keyId: c.var.principal.keyId,
    signal: c.req.raw.signal,
    startedAt: c.var.startedAt,
    routeTag: c.req.header('x-route-tag') ?? null,
    // The policy engine's principal carries `teamId`; a principal without one matches no team rule.
    team: (c.var.principal as { teamId?: string | null }).teamId ?? null,
  };
}
