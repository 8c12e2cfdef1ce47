// First middleware: request and session ids, in-flight tracking, and refusal while shutting down.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { RequestTrace } from '../tracing/otel.js';
import type { AppEnv, Principal } from './context.js';

const SESSION_ID = /^[\x21-\x7e]{1,128}$/;
/** Route tags only ever match configured values; a longer one could match nothing and must not reach logs unbounded. */
export const ROUTE_TAG_MAX = 128;
const ROUTE_TAG = new RegExp(`^[\\x20-\\x7e]{0,${ROUTE_TAG_MAX}}$`);

export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.set('startedAt', performance.now());
    c.header('x-request-id', requestId);
    const raw = c.req.header('x-session-id');
    // An invalid id is neither echoed nor used: the 400 carries the request id as its session.
    const session = raw !== undefined && SESSION_ID.test(raw) ? raw : undefined;
    c.set('sessionId', session ?? requestId);
    c.header('x-session-id', session ?? requestId);
    if (deps.state.shuttingDown) {
      c.header('connection', 'close');
      throw new GatewayError('shutting_down', 'The gateway is shutting down; retry on another instance.');
    }
    if (raw !== undefined && session === undefined) {
      throw new GatewayError('invalid_request', 'x-session-id must be 1-128 printable ASCII characters without spaces.', {
        param: 'x-session-id',
      });
    }
    const tag = c.req.header('x-route-tag');
    if (tag !== undefined && !ROUTE_TAG.test(tag)) {
      throw new GatewayError('invalid_request', `x-route-tag must be at most ${ROUTE_TAG_MAX} printable ASCII characters.`, { param: 'x-route-tag' });
    }
    const timing = { upstreamMs: 0 };
    c.set('timing', timing);
    // Tracing off: one boolean, no span, no context switch.
    const rt = deps.tracing.enabled
      ? deps.tracing.startRequest({ method: c.req.method, path: c.req.path, headers: c.req.raw.headers, requestId, sessionId: session ?? requestId })
      : null;
    const end = deps.inflight.begin();
    const finish = () => {
      end();
      observe(c, rt);
    };
    let deferred = false;
    c.set('deferEnd', () => {
      deferred = true;
      return finish;
    });
    try {
      await (rt ? rt.run(next) : next());
    } finally {
      if (!deferred) finish();
    }
    stampIds(c, requestId, session ?? requestId);
    if (!deferred) serverTiming(c, timing.upstreamMs);
  };
}

/** A handler that returns a Response of its own (the MCP transports' streams) bypasses c.header(): the ids go on it here. */
function stampIds(c: Context<AppEnv>, requestId: string, sessionId: string): void {
  if (c.res.headers.get('x-request-id') === requestId) return;
  c.header('x-request-id', requestId);
  c.header('x-session-id', sessionId);
}

/** Request metrics and the end of the SERVER span; for streams, called when the stream ends. */
function observe(c: Context<AppEnv>, rt: RequestTrace | null): void {
  const status = c.res.status;
  let route = routePath(c) || 'unmatched';
  if (status === 404 && route.endsWith('*')) route = 'unmatched';
  c.get('deps').metrics.http(route, c.req.method, status, (performance.now() - c.get('startedAt')) / 1000);
  if (rt) {
    const p = c.get('principal') as Principal | undefined;
    rt.end({ status, route, keyId: p?.keyId ?? null, teamId: p?.teamId ?? null });
  }
}

/** `Server-Timing: gw;dur=…, upstream;dur=…` on responses that are complete when the handler returns. */
function serverTiming(c: Context<AppEnv>, upstreamMs: number): void {
  const h = c.res.headers;
  if (h.get('content-type')?.startsWith('text/event-stream')) return;
  const total = performance.now() - c.get('startedAt');
  const gw = Math.max(0, total - upstreamMs).toFixed(2);
  try {
    h.set('server-timing', upstreamMs > 0 ? `gw;dur=${gw}, upstream;dur=${upstreamMs.toFixed(2)}` : `gw;dur=${gw}`);
  } catch {
    // an immutable response (passed through as is): no header
  }
}
