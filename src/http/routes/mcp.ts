// MCP over Streamable HTTP at /mcp (federated) and /mcp/:id (one upstream or virtual server), legacy /sse + /messages.
import { Hono, type Context } from 'hono';
import { asGatewayError, publicMessage } from '../../errors.js';
import { originGuard } from '../../mcp/inbound/origin.js';
import { rpcError } from '../../mcp/inbound/rpc-response.js';
import type { McpSessions } from '../../mcp/inbound/sessions.js';
import type { RequestFacts } from '../../mcp/inbound/request-facts.js';
import { authenticate } from '../authenticate.js';
import { limitRpcBody } from '../body-limit.js';
import { MAX_JSON_DEPTH, nestsDeeper } from '../body.js';
import type { AppEnv } from '../context.js';

const PATHS = ['/mcp', '/mcp/:id'];
const TOO_DEEP = `Invalid Request: the message nests deeper than ${MAX_JSON_DEPTH} levels.`;
const LEGACY = ['/sse', '/sse/:id', '/messages'];

/** Ends the in-flight mark when a streamed response finishes or the client goes away. */
function trackStream(res: Response, end: () => void): Response {
  let done = false;
  const finish = () => {
    if (!done) (done = true), end();
  };
  if (!res.body) {
    finish();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { value, done: last } = await reader.read();
        if (last) {
          ctrl.close();
          finish();
        } else ctrl.enqueue(value);
      } catch (err) {
        finish();
        ctrl.error(err);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The MCP spec's session id: visible ASCII; ours are UUIDs, so anything long is not one of them. */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/** The gateway's own request id and the accepted x-session-id (request-context refused an invalid one), for the MCP handlers. */
function factsOf(c: Context<AppEnv>): RequestFacts {
  const agent = c.req.header('x-session-id');
  return { requestId: c.get('requestId'), principal: c.get('principal'), ...(agent !== undefined ? { agentSessionId: agent } : {}) };
}

async function handle(mcp: McpSessions, c: Context<AppEnv>): Promise<Response> {
  const sid = c.req.header('mcp-session-id');
  if (sid !== undefined && !SESSION_ID.test(sid)) return rpcError(400, -32600, 'Bad Request: Mcp-Session-Id must be 1-256 visible ASCII characters.');
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
  const res = await mcp.handle({ ...factsOf(c), raw: c.req.raw, route: c.req.param('id') ?? '', body });
  const end = c.get('deferEnd')();
  // The standalone GET stream lives as long as the session: it must not hold up a graceful shutdown.
  if (c.req.method === 'GET') {
    end();
    return res;
  }
  return trackStream(res, end);
}

export function mcpRoutes(mcp: McpSessions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Rebuilt when a reload brings a new config: allowedOrigins and allowedHosts apply without a restart.
  let guard: { config: object; check: ReturnType<typeof originGuard> } | null = null;
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
    return mcp.legacy.post(c.req.query('sessionId'), factsOf(c), body, c.req.raw.headers);
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
