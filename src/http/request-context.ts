// First middleware: request and session ids, in-flight tracking, and refusal while shutting down.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { AppEnv } from './context.js';

const SESSION_ID = /^[\x21-\x7e]{1,128}$/;

export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.set('startedAt', performance.now());
    c.header('x-request-id', requestId);
    const session = c.req.header('x-session-id');
    c.set('sessionId', session ?? requestId);
    c.header('x-session-id', session ?? requestId);
    if (deps.state.shuttingDown) {
      c.header('connection', 'close');
      throw new GatewayError('shutting_down', 'The gateway is shutting down; retry on another instance.');
    }
    if (session !== undefined && !SESSION_ID.test(session)) {
      throw new GatewayError('invalid_request', 'x-session-id must be 1-128 printable ASCII characters without spaces.', {
        param: 'x-session-id',
      });
    }
    const end = deps.inflight.begin();
    let deferred = false;
    c.set('deferEnd', () => {
      deferred = true;
      return end;
    });
    try {
      await next();
    } finally {
      if (!deferred) end();
    }
  };
}
