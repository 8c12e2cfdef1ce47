// MCP sessions over Streamable HTTP: create on initialize, 400/404 rules, rebuild from the store on any replica, fan-out.
import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Deps } from '../deps.js';
import type { Principal } from '../policy/types.js';
import { createView } from './catalog.js';
import type { Hub } from './hub.js';
import { createLegacySse, type LegacySse } from './legacy-sse.js';
import { createInboundServer, type SessionInfo } from './server.js';
import type { SessionRecord, SessionStore } from './session-store.js';

interface Runtime extends SessionInfo {
  route: string;
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
}

export interface McpRequest {
  raw: Request;
  route: string;
  principal: Principal;
  /** The parsed POST body, when there is one. */
  body?: unknown;
}

export interface McpSessions {
  handle(req: McpRequest): Promise<Response>;
  /** Sessions of the legacy HTTP+SSE transport (/sse + /messages). */
  legacy: LegacySse;
  /** Runtimes held by this replica (for tests and metrics). */
  localCount(): number;
  close(): Promise<void>;
}

export function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

function isInitialize(body: unknown): body is { params?: Partial<SessionRecord> & { capabilities?: object; clientInfo?: object } } {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.some((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize');
}

export function createMcpSessions(deps: Deps, hub: Hub, store: SessionStore): McpSessions {
  const local = new Map<string, Runtime>();

  function build(id: string, route: string, principal: Principal): Runtime | null {
    const view = createView(deps.config, route);
    if (!view) return null;
    const info: SessionInfo = { id, principal, view, subscriptions: new Set() };
    const server = createInboundServer(deps, info);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessionclosed: () => void end(id),
    });
    const rt: Runtime = Object.assign(info, { route, server, transport, lastSeen: Date.now() });
    server.onclose = () => void release(rt);
    return rt;
  }

  async function release(rt: Runtime): Promise<void> {
    if (local.get(rt.id) !== rt) return;
    local.delete(rt.id);
    for (const s of rt.subscriptions) {
      const [sid, uri] = s.split('\0') as [string, string];
      await hub.unsubscribe(sid, uri, rt.id).catch(() => undefined);
    }
    await rt.server.close().catch(() => undefined);
  }

  async function end(id: string): Promise<void> {
    await store.delete(id).catch((err: Error) => deps.log.warn({ err: err.message }, 'mcp: could not delete a session record'));
    const rt = local.get(id);
    if (rt) await release(rt);
  }

  /** Rebuilds a session another replica (or an earlier process) created, by replaying its initialize. */
  async function rehydrate(rec: SessionRecord, principal: Principal): Promise<Runtime | null> {
    const rt = build(rec.id, rec.route, principal);
    if (!rt) return null;
    await rt.server.connect(rt.transport);
    const url = 'http://gateway.internal/mcp';
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = { jsonrpc: '2.0', id: 'gateway-rehydrate', method: 'initialize', params: { protocolVersion: rec.protocolVersion, capabilities: rec.capabilities, clientInfo: rec.clientInfo } };
    await (await rt.transport.handleRequest(new Request(url, { method: 'POST', headers, body: JSON.stringify(init) }))).text();
    const done = { jsonrpc: '2.0', method: 'notifications/initialized' };
    const h2 = { ...headers, 'mcp-session-id': rec.id, 'mcp-protocol-version': rec.protocolVersion };
    await (await rt.transport.handleRequest(new Request(url, { method: 'POST', headers: h2, body: JSON.stringify(done) }))).text();
    local.set(rec.id, rt);
    return rt;
  }

  async function initialize(req: McpRequest, params: Partial<SessionRecord>): Promise<Response> {
    const id = randomUUID().replaceAll('-', '');
    const rt = build(id, req.route, req.principal);
    if (!rt) return rpcError(404, -32001, `No MCP server or virtual server "${req.route}".`);
    await rt.server.connect(rt.transport);
    local.set(id, rt);
    const res = await rt.transport.handleRequest(req.raw, { parsedBody: req.body });
    if (res.ok) {
      await store.put({
        id,
        keyId: req.principal.keyId,
        route: req.route,
        protocolVersion: String(params.protocolVersion ?? ''),
        clientInfo: (params.clientInfo ?? {}) as Record<string, unknown>,
        capabilities: (params.capabilities ?? {}) as Record<string, unknown>,
        createdAt: Date.now(),
      });
    } else {
      await release(rt);
    }
    return res;
  }

  const legacy = createLegacySse(deps);
  const unlisten = hub.listen({
    onListChanged(sid, kinds) {
      for (const rt of local.values()) {
        if (!rt.view.servers.includes(sid)) continue;
        if (kinds.includes('tools')) void rt.server.sendToolListChanged().catch(() => undefined);
        if (kinds.includes('prompts')) void rt.server.sendPromptListChanged().catch(() => undefined);
        if (kinds.includes('resources')) void rt.server.sendResourceListChanged().catch(() => undefined);
      }
    },
    onResourceUpdated(sid, uri) {
      for (const rt of local.values()) {
        const exposed = rt.view.exposeUri(sid, uri);
        if (exposed !== null && rt.subscriptions.has(`${sid}\0${uri}`)) void rt.server.sendResourceUpdated({ uri: exposed }).catch(() => undefined);
      }
    },
  });

  const sweep = setInterval(() => {
    const cutoff = Date.now() - deps.config.mcp.sessionTtlMs;
    for (const rt of local.values()) if (rt.lastSeen < cutoff) void release(rt);
  }, 60_000);
  sweep.unref();

  return {
    async handle(req) {
      if (req.raw.method === 'POST' && isInitialize(req.body)) {
        const first = (Array.isArray(req.body) ? req.body[0] : req.body) as { params?: Partial<SessionRecord> };
        return initialize(req, first.params ?? {});
      }
      const id = req.raw.headers.get('mcp-session-id');
      if (!id) return rpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      // The store is the truth: a session ended on another replica is gone here too.
      const rec = await store.get(id);
      let rt = local.get(id);
      if (!rec || rec.keyId !== req.principal.keyId || rec.route !== req.route) {
        if (rt && !rec) await release(rt);
        return rpcError(404, -32001, 'Session not found');
      }
      rt ??= (await rehydrate(rec, req.principal)) ?? undefined;
      if (!rt) return rpcError(404, -32001, 'Session not found');
      rt.lastSeen = Date.now();
      rt.principal = req.principal;
      return rt.transport.handleRequest(req.raw, req.body === undefined ? undefined : { parsedBody: req.body });
    },
    legacy,
    localCount: () => local.size,
    async close() {
      await legacy.close();
      clearInterval(sweep);
      unlisten();
      await Promise.all([...local.values()].map((rt) => release(rt)));
    },
  };
}
