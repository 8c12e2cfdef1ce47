// MCP over Streamable HTTP at /mcp (federated) and /mcp/:id (one upstream or virtual server), each request served in the
// protocol era it speaks (2026-07-28 stateless, or a 2025 session); legacy /sse + /messages.
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { asGatewayError, publicMessage } from '../../errors.js';
import { originGuard } from '../../mcp/inbound/origin.js';
import { omitsNullId, rpcError } from '../../mcp/inbound/rpc-response.js';
import type { McpSessions } from '../../mcp/inbound/sessions.js';
import type { McpRequest, RequestFacts } from '../../mcp/inbound/request-facts.js';
import { onStreamEnd } from '../../mcp/inbound/stream-end.js';
import { authenticate } from '../authenticate.js';
import { limitRpcBody } from '../body-limit.js';
import { MAX_JSON_DEPTH, nestsDeeper } from '../body.js';
import type { AppEnv } from '../context.js';

const PATHS = ['/mcp', '/mcp/:id'];
const TOO_DEEP = `Invalid Request: the message nests deeper than ${MAX_JSON_DEPTH} levels.`;
const LEGACY = ['/sse', '/sse/:id', '/messages'];

/** The MCP spec's session id: visible ASCII; ours are UUIDs, so anything long is not one of them. */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/** The gateway's own request id and the accepted x-session-id (request-context refused an invalid one), for the MCP handlers. */
function factsOf(c: Context<AppEnv>): RequestFacts {
  const agent = c.req.header('x-session-id');
  return { requestId: c.get('requestId'), principal: c.get('principal'), ...(agent !== undefined ? { agentSessionId: agent } : {}) };
}

/** Long-lived streams (a session's GET, a 2026-07-28 subscriptions/listen) must not hold up a graceful shutdown. */
function isOpenEnded(method: string, body: unknown): boolean {
  return method === 'GET' || (!!body && typeof body === 'object' && (body as { method?: unknown }).method === 'subscriptions/listen');
}

async function handle(mcp: McpSessions, c: Context<AppEnv>): Promise<Response> {
  let body: unknown;
  if (c.req.method === 'POST') {
    const text = await c.req.text(); // limitRpcBody has bounded it
    try {
      body = JSON.parse(text);
    } catch {
      return rpcError(400, -32700, 'Parse error: Invalid JSON');
    }
    if (nestsDeeper(body, MAX_JSON_DEPTH)) return rpcError(400, -32600, TOO_DEEP);
  }
  const req: McpRequest = { ...factsOf(c), raw: c.req.raw, route: c.req.param('id') ?? '', body };
  let res: Response;
  // The SDK's own classification: a request with the per-request `_meta` envelope (or a modern MCP-Protocol-Version) is 2026-07-28.
  if (await isLegacyRequest(c.req.raw, body)) {
    const sid = c.req.header('mcp-session-id');
    if (sid !== undefined && !SESSION_ID.test(sid)) return rpcError(400, -32600, 'Bad Request: Mcp-Session-Id must be 1-256 visible ASCII characters.');
    res = await mcp.handle(req);
  } else {
    res = await mcp.modern.handle(req);
  }
  const end = c.get('deferEnd')();
  if (isOpenEnded(c.req.method, body)) {
    end();
    return res;
  }
  return onStreamEnd(res, end);
}

/**
 * The gateway's own JSON-RPC errors (401, 403, 413, bad JSON) carry `id: null` as JSON-RPC 2.0 and 2025 clients expect;
 * the 2026-07-28 schema has no null id, so for a client that speaks it the field is left out.
 */
function modernErrorIds(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!omitsNullId(c.req.header('mcp-protocol-version')) || c.res.status < 400) return;
    if (!c.res.headers.get('content-type')?.includes('application/json')) return;
    const body = (await c.res.clone().json().catch(() => null)) as Record<string, unknown> | null;
    if (!body || body.id !== null) return;
    delete body.id;
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(JSON.stringify(body), { status: c.res.status, headers });
  };
}

export function mcpRoutes(mcp: McpSessions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Rebuilt when a reload brings a new config: allowedOrigins and allowedHosts apply without a restart.
  let guard: { config: object; check: ReturnType<typeof originGuard> } | null = null;
  for (const p of PATHS) app.use(p, modernErrorIds());
  for (const p of [...PATHS, ...LEGACY]) {
    app.use(p, async (c, next) => {
      const config = c.get('deps').runtime.config;
      if (guard?.config !== config) guard = { config, check: originGuard(config) };
      return guard.check(c, next);
    });
    app.use(p, authenticate());
    app.use(p, limitRpcBody((c) => c.get('deps').runtime.config.server.bodyLimitBytes));
  }
  for (const p of PATHS) app.on(['GET', 'POST', 'DELETE'], p, (c) => handle(mcp, c));
  const openSse = (c: Context<AppEnv>) => {
    c.get('deferEnd')()(); // a legacy stream lives as long as its session
    return mcp.legacy.open(c.req.param('id') ?? '', c.get('principal'));
  };
  app.get('/sse', openSse);
  app.get('/sse/:id', openSse);
  app.post('/messages', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return rpcError(400, -32700, 'Parse error: Invalid JSON');
    }
    if (nestsDeeper(body, MAX_JSON_DEPTH)) return rpcError(400, -32600, TOO_DEEP);
    return mcp.legacy.post(c.req.query('sessionId'), factsOf(c), body, c.req.raw);
  });
  app.onError((err, c) => {
    const e = asGatewayError(err);
    if (e.status >= 500) c.get('deps').log.error({ err, requestId: c.get('requestId') }, 'mcp route error');
    const res = rpcError(e.status, e.status === 401 ? -32001 : -32000, publicMessage(e));
    for (const [k, v] of Object.entries(e.headers)) res.headers.set(k, v);
    return res;
  });
  return app;
}
