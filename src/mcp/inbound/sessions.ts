// MCP sessions of the 2025 era over Streamable HTTP (create on initialize, 400/404 rules, rebuild from the store on any replica, answers relayed to the replica waiting for them, fan-out), beside the stateless 2026-07-28 serving.
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Principal } from '../../policy/types.js';
import type { RelayServer } from '../sdk-adapter.js';
import { emptyView } from '../upstream/catalog.js';
import { flowRemote, serveForwardedRounds } from './flow-relay.js';
import { createInputFlows } from './input-flows.js';
import { createLegacySse, type LegacySse } from './legacy-sse.js';
import { createModernMcp, type ModernMcp } from './modern.js';
import { factsAuthInfo, type McpRequest } from './request-facts.js';
import { rpcError } from './rpc-response.js';
import type { ReplicaRelay } from './replica-relay.js';
import { createInboundServer, type InboundParts, type SessionInfo } from './server.js';
import { createSessionAnswers } from './session-relay.js';
import type { SessionRecord, SessionStore } from './session-store.js';

interface LocalSession extends SessionInfo {
  route: string;
  server: RelayServer;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
}

export interface McpSessionsOptions extends InboundParts {
  /** Session records (Redis or memory); closed by close(). */
  store: SessionStore;
  /** Idle time after which this replica forgets a session (read on each sweep, so a reload applies). */
  sessionTtlMs(): number;
  /** The secret 2026-07-28 requestState keys derive from (replicas sharing it verify each other's); else a key of this process. */
  stateSecret?: string | undefined;
  /** Messages to the other replicas (Redis), for answers and retries that reach a replica not holding their request; closed by close(). */
  relay?: ReplicaRelay | null;
}

export interface McpSessions {
  /** A 2025-era request (initialize, or one carrying Mcp-Session-Id). */
  handle(req: McpRequest): Promise<Response>;
  /** 2026-07-28 requests: stateless, no session. */
  modern: ModernMcp;
  /** Sessions of the legacy HTTP+SSE transport (/sse + /messages). */
  legacy: LegacySse;
  /** After a config reload: each session's route is looked up in the new catalog; a client whose view changed is told list_changed. */
  refresh(): void;
  /** Sessions held by this replica (for tests and metrics). */
  localCount(): number;
  close(): Promise<void>;
}

function isInitialize(body: unknown): body is { params?: Partial<SessionRecord> & { capabilities?: object; clientInfo?: object } } {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.some((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize');
}

export function createMcpSessions(opts: McpSessionsOptions): McpSessions {
  const { store, hub, log } = opts;
  const local = new Map<string, LocalSession>();

  function build(id: string, route: string, principal: Principal): LocalSession | null {
    const view = opts.catalog().view(route);
    if (!view) return null;
    const info: SessionInfo = { id, principal, view, subscriptions: new Set() };
    const server = createInboundServer(opts, info);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      // Awaited by the transport: the DELETE is answered once the record is gone everywhere.
      onsessionclosed: () => end(id),
    });
    const s: LocalSession = Object.assign(info, { route, server, transport, lastSeen: Date.now() });
    server.onclose = () => void release(s);
    return s;
  }

  async function release(s: LocalSession): Promise<void> {
    if (local.get(s.id) !== s) return;
    local.delete(s.id);
    for (const sub of s.subscriptions) {
      const [sid, uri] = sub.split('\0') as [string, string];
      await hub.unsubscribe(sid, uri, s.id).catch(() => undefined);
    }
    await hub.endSession(s.id).catch(() => undefined);
    await s.server.close().catch(() => undefined);
  }

  async function end(id: string): Promise<void> {
    await store.delete(id).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not delete a session record'));
    // Not awaited: closing the server closes the transport that is still answering this DELETE.
    const s = local.get(id);
    if (s) void release(s);
  }

  /** Rebuilds a session another replica (or an earlier process) created, by replaying its initialize. */
  async function rehydrate(rec: SessionRecord, principal: Principal): Promise<LocalSession | null> {
    const s = build(rec.id, rec.route, principal);
    if (!s) return null;
    await s.server.connect(s.transport);
    const url = 'http://gateway.internal/mcp';
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = { jsonrpc: '2.0', id: 'gateway-rehydrate', method: 'initialize', params: { protocolVersion: rec.protocolVersion, capabilities: rec.capabilities, clientInfo: rec.clientInfo } };
    await (await s.transport.handleRequest(new Request(url, { method: 'POST', headers, body: JSON.stringify(init) }))).text();
    const done = { jsonrpc: '2.0', method: 'notifications/initialized' };
    const h2 = { ...headers, 'mcp-session-id': rec.id, 'mcp-protocol-version': rec.protocolVersion };
    await (await s.transport.handleRequest(new Request(url, { method: 'POST', headers: h2, body: JSON.stringify(done) }))).text();
    local.set(rec.id, s);
    return s;
  }

  async function initialize(req: McpRequest, params: Partial<SessionRecord>): Promise<Response> {
    const id = randomUUID().replaceAll('-', '');
    const s = build(id, req.route, req.principal);
    if (!s) return rpcError(404, -32001, `No MCP server or virtual server "${req.route}".`);
    await s.server.connect(s.transport);
    local.set(id, s);
    const res = await s.transport.handleRequest(req.raw, { parsedBody: req.body, authInfo: factsAuthInfo(req) });
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
      await release(s);
    }
    return res;
  }

  const { relay } = opts;
  // Behind a balancer without stickiness, the replica holding a pending server→client request may not be the one answered.
  const answers = relay ? createSessionAnswers(relay, (id) => local.get(id), log) : null;
  const flows = createInputFlows({ secret: opts.stateSecret, remote: relay ? flowRemote(relay, log) : undefined });
  if (relay) serveForwardedRounds(relay, flows);
  const legacy = createLegacySse(opts);
  const modern = createModernMcp({ ...opts, flows });
  const unlisten = hub.listen({
    onListChanged(sid, kinds) {
      for (const s of local.values()) {
        if (!s.view.servers.includes(sid)) continue;
        if (kinds.includes('tools')) void s.server.sendToolListChanged().catch(() => undefined);
        if (kinds.includes('prompts')) void s.server.sendPromptListChanged().catch(() => undefined);
        if (kinds.includes('resources') || kinds.includes('resourceTemplates')) void s.server.sendResourceListChanged().catch(() => undefined);
      }
    },
    onResourceUpdated(sid, uri) {
      for (const s of local.values()) {
        const exposed = s.view.exposeUri(sid, uri);
        if (exposed !== null && s.subscriptions.has(`${sid}\0${uri}`)) void s.server.sendResourceUpdated({ uri: exposed }).catch(() => undefined);
      }
    },
  });

  const sweep = setInterval(() => {
    const cutoff = Date.now() - opts.sessionTtlMs();
    for (const s of local.values()) if (s.lastSeen < cutoff) void release(s);
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
      let s = local.get(id);
      if (!rec || rec.keyId !== req.principal.keyId || rec.route !== req.route) {
        if (s && !rec) await release(s);
        return rpcError(404, -32001, 'Session not found');
      }
      let body = req.body;
      const diverted = req.raw.method === 'POST' ? await answers?.divert(rec, body, s) : null;
      if (diverted && 'answer' in diverted) return diverted.answer;
      if (diverted) body = diverted.body;
      s ??= (await rehydrate(rec, req.principal)) ?? undefined;
      if (!s) return rpcError(404, -32001, 'Session not found');
      s.lastSeen = Date.now();
      s.principal = req.principal;
      return s.transport.handleRequest(req.raw, { ...(body === undefined ? {} : { parsedBody: body }), authInfo: factsAuthInfo(req) });
    },
    modern,
    legacy,
    refresh() {
      const catalog = opts.catalog();
      for (const s of local.values()) {
        const next = catalog.view(s.route) ?? emptyView(s.route);
        if (next.signature === s.view.signature) continue;
        s.view = next;
        void s.server.sendToolListChanged().catch(() => undefined);
        void s.server.sendPromptListChanged().catch(() => undefined);
        void s.server.sendResourceListChanged().catch(() => undefined);
      }
      legacy.refresh();
      modern.refresh();
    },
    localCount: () => local.size,
    async close() {
      await legacy.close();
      await modern.close();
      relay?.close();
      clearInterval(sweep);
      unlisten();
      await Promise.all([...local.values()].map((s) => release(s)));
      await store.close();
    },
  };
}
