// The inbound MCP server of one 2025-era session or one 2026-07-28 request: the SDK's v2 Server with handlers that relay to the hub.
import type { CacheHint, LoggingLevel, Notification, ServerContext } from '@modelcontextprotocol/server';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { HEADER_VALUE_MAX } from '../../http/text-bounds.js';
import type { McpCallContext } from '../../broker/context.js';
import type { McpMethod, McpOperation } from '../../broker/mcp-operation.js';
import type { Logger } from '../../log.js';
import type { Principal } from '../../policy/types.js';
import type { Catalog, View } from '../upstream/catalog.js';
import type { Hub } from '../upstream/hub.js';
import type { RelayCaller } from '../upstream/relay.js';
import { ErrorCode, LooseResult, RpcError, type JsonObject, type RpcMessage } from '../upstream/rpc.js';
import { RelayServer, relayHandler } from '../sdk-adapter.js';
import type { InputFlows } from './input-flows.js';
import { listView, resolveName } from './listing.js';
import { newRequestId, readFacts } from './request-facts.js';
import { exposeResultUris } from './result-uris.js';

/** What the server needs to know about its session; owned by the session registry (2026-07-28: one request). */
export interface SessionInfo {
  id: string;
  /** The caller of the latest request on this session (same key every time; its rules may have changed). */
  principal: Principal;
  /** What the session's route serves; replaced when a config reload changes the catalog. */
  view: View;
  logLevel?: LoggingLevel;
  /** `<serverId>\0<upstream uri>` of each resource subscription. */
  subscriptions: Set<string>;
}

/** What inbound sessions need from the gateway, and nothing more: this layer never sees Deps. */
export interface InboundParts {
  hub: Pick<Hub, 'list' | 'request' | 'subscribe' | 'unsubscribe' | 'listen' | 'endSession'>;
  /** The catalog of the current runtime (a config reload replaces it). */
  catalog(): Catalog;
  /** Runs tools/call, resources/read and prompts/get through the broker: policy, upstream call, trace. */
  operate(ctx: McpCallContext, op: McpOperation): Promise<JsonObject>;
  log: Logger;
}

/** A 2026-07-28 server: its calls run as input flows of its route (server→client requests become input_required rounds). */
export interface ModernServing {
  route: string;
  flows: InputFlows;
}

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const VERSION = '0.1.0';
/** Lists depend on the caller's rules, so never shared; clients that listen hear list_changed well within this. */
const LIST_HINT: CacheHint = { ttlMs: 30_000, cacheScope: 'private' };
const CAPABILITY: Record<string, 'sampling' | 'elicitation' | 'roots'> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

/** An upstream's "resource not found" names the URI the client asked for (SEP-2164: `data.uri`), never the upstream's own. */
function notFoundAs(err: unknown, read: { upstream: string; exposed: string }): unknown {
  if (!(err instanceof RpcError) || (err.code !== -32002 && err.code !== ErrorCode.InvalidParams)) return err;
  const data = err.data && typeof err.data === 'object' && !Array.isArray(err.data) ? (err.data as JsonObject) : {};
  if (err.code === ErrorCode.InvalidParams && data.uri !== read.upstream) return err;
  return new RpcError(err.code, err.message, { ...data, uri: read.exposed });
}

export function createInboundServer(parts: InboundParts, session: SessionInfo, modern?: ModernServing): RelayServer {
  const { hub } = parts;
  const server = new RelayServer(
    { name: session.view.kind === 'federated' ? 'mcp-agent-gateway' : `mcp-agent-gateway/${session.view.id}`, version: VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      cacheHints: { 'tools/list': LIST_HINT, 'prompts/list': LIST_HINT, 'resources/list': LIST_HINT, 'resources/templates/list': LIST_HINT },
      ...(modern ? { requestState: { verify: modern.flows.verifier(modern.route) } } : {}),
    },
  );
  const who = (ctx: ServerContext): Principal => readFacts(ctx.http?.authInfo)?.principal ?? session.principal;

  /** 2025 era: server→client requests go out on the stream of the call that caused them. */
  function sessionCaller(ctx: ServerContext): RelayCaller {
    const caps = server.getClientCapabilities();
    return {
      sessionKey: session.id,
      isolationKey: session.id,
      supports: (m) => CAPABILITY[m] !== undefined && Boolean(caps?.[CAPABILITY[m]!]),
      request: (req, signal) => ctx.mcpReq.send({ method: req.method, params: req.params }, LooseResult, { signal, timeout: 600_000 }) as Promise<JsonObject>,
      async notify(n: RpcMessage) {
        const level = n.params?.level as LoggingLevel | undefined;
        if (session.logLevel && level && LEVELS.indexOf(level) < LEVELS.indexOf(session.logLevel)) return;
        await ctx.mcpReq.notify(n as Notification);
      },
    };
  }

  function context(ctx: ServerContext, caller: RelayCaller, signal: AbortSignal, mcpSessionId: string, onProgress?: (p: Progress) => void): McpCallContext {
    const facts = readFacts(ctx.http?.authInfo);
    const principal = facts?.principal ?? session.principal;
    const ua = ctx.http?.req?.headers.get('user-agent');
    return {
      // The gateway's id of this HTTP request, as its x-request-id response header says: never the client's header.
      requestId: facts?.requestId ?? newRequestId(),
      sessionId: facts?.agentSessionId ?? mcpSessionId,
      mcpSessionId,
      keyId: principal.keyId,
      principal,
      signal,
      caller,
      startedAt: performance.now(),
      client: { ...server.getClientVersion(), userAgent: ua ? ua.slice(0, HEADER_VALUE_MAX) : null },
      ...(onProgress ? { onProgress } : {}),
    };
  }

  function resolveUri(uri: string): { serverId: string; uri: string } {
    const r = session.view.resolveUri(uri);
    if (!r) throw new RpcError(-32002, `Resource not found: ${uri}`, { uri });
    return r;
  }

  /** The upstream operation a request names, and how to rename URIs in its result. */
  async function target(method: McpMethod, params: JsonObject): Promise<{ op: McpOperation; read?: { upstream: string; exposed: string } }> {
    if (method === 'resources/read') {
      const exposed = String(params.uri);
      const t = resolveUri(exposed);
      return { op: { method, serverId: t.serverId, exposed, target: t.uri, params: { ...params, uri: t.uri } }, read: { upstream: t.uri, exposed } };
    }
    const exposed = String(params.name);
    const t = await resolveName(hub, session.view, method === 'tools/call' ? 'tools' : 'prompts', exposed);
    if (!t) throw new RpcError(ErrorCode.InvalidParams, `Unknown ${method === 'tools/call' ? 'tool' : 'prompt'}: ${exposed}`);
    return { op: { method, serverId: t.serverId, exposed, target: t.name, params: { ...params, name: t.name } } };
  }

  async function operate(method: McpMethod, params: JsonObject, ctx: ServerContext): Promise<JsonObject> {
    const run = async (caller: RelayCaller, signal: AbortSignal, callSession: string, onProgress?: (p: Progress) => void) => {
      const { op, read } = await target(method, params);
      const result = await parts.operate(context(ctx, caller, signal, callSession, onProgress), op).catch((err: unknown) => {
        throw read ? notFoundAs(err, read) : err;
      });
      return exposeResultUris(session.view, method, op.serverId, result, read);
    };
    if (modern) {
      const name = String(method === 'resources/read' ? params.uri : params.name);
      // Stateless: the key's x-session-id, when sent, is the session an `isolation: session` server keeps a connection for.
      const facts = readFacts(ctx.http?.authInfo);
      const isolationKey = facts?.agentSessionId ? `${facts.principal.keyId ?? ''}\0${facts.agentSessionId}` : undefined;
      return modern.flows.serve(modern.route, name, ctx, (flow) => run({ ...flow.caller, ...(isolationKey ? { isolationKey } : {}) }, flow.signal, flow.id, flow.onProgress));
    }
    const token = ctx.mcpReq._meta?.progressToken;
    const onProgress =
      token === undefined ? undefined : (p: Progress) => void ctx.mcpReq.notify({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch(() => undefined);
    return run(sessionCaller(ctx), ctx.mcpReq.signal, session.id, onProgress);
  }

  relayHandler(server, 'tools/list', (_p, ctx) => listView(hub, session.view, 'tools', who(ctx)));
  relayHandler(server, 'prompts/list', (_p, ctx) => listView(hub, session.view, 'prompts', who(ctx)));
  relayHandler(server, 'resources/list', (_p, ctx) => listView(hub, session.view, 'resources', who(ctx)));
  relayHandler(server, 'resources/templates/list', (_p, ctx) => listView(hub, session.view, 'resourceTemplates', who(ctx)));
  relayHandler(server, 'tools/call', (p, ctx) => operate('tools/call', p, ctx));
  relayHandler(server, 'prompts/get', (p, ctx) => operate('prompts/get', p, ctx));
  relayHandler(server, 'resources/read', (p, ctx) => operate('resources/read', p, ctx));

  // 2026-07-28 removed these: its clients subscribe with subscriptions/listen and ask for logs per request.
  if (!modern) {
    relayHandler(server, 'resources/subscribe', async (p) => {
      const t = resolveUri(String(p.uri));
      await hub.subscribe(t.serverId, t.uri, session.id);
      session.subscriptions.add(`${t.serverId}\0${t.uri}`);
      return {};
    });
    relayHandler(server, 'resources/unsubscribe', async (p) => {
      const t = resolveUri(String(p.uri));
      session.subscriptions.delete(`${t.serverId}\0${t.uri}`);
      await hub.unsubscribe(t.serverId, t.uri, session.id);
      return {};
    });
    relayHandler(server, 'logging/setLevel', async (p) => {
      if (!LEVELS.includes(p.level as LoggingLevel)) throw new RpcError(ErrorCode.InvalidParams, `Invalid logging level: ${String(p.level)}`);
      session.logLevel = p.level as LoggingLevel;
      // Upstream connections are shared, so their level is only a hint; the gateway filters per session.
      for (const sid of session.view.servers) {
        void hub.request(sid, { method: 'logging/setLevel', params: { level: session.logLevel } }).catch(() => undefined);
      }
      return {};
    });
  }

  relayHandler(server, 'completion/complete', async (params, ctx) => {
    const ref = (params.ref ?? {}) as JsonObject;
    let t: { serverId: string; ref: JsonObject } | null = null;
    if (ref.type === 'ref/prompt') {
      const named = await resolveName(hub, session.view, 'prompts', String(ref.name));
      if (named) t = { serverId: named.serverId, ref: { ...ref, name: named.name } };
    } else if (ref.type === 'ref/resource') {
      const r = session.view.resolveUri(String(ref.uri));
      if (r) t = { serverId: r.serverId, ref: { ...ref, uri: r.uri } };
    }
    if (!t) throw new RpcError(ErrorCode.InvalidParams, 'Unknown completion reference.');
    try {
      return await hub.request(t.serverId, { method: 'completion/complete', params: { ...params, ref: t.ref } }, { signal: ctx.mcpReq.signal });
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === ErrorCode.MethodNotFound) return { completion: { values: [] } };
      throw err;
    }
  });

  return server;
}
