// The inbound MCP server of one client session: the SDK's low-level Server with handlers that relay to the hub.
import { HEADER_VALUE_MAX } from '../../http/text-bounds.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingLevel,
  type Notification,
  type Request,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpCallContext } from '../../broker/context.js';
import type { McpMethod, McpOperation } from '../../broker/mcp-operation.js';
import type { Logger } from '../../log.js';
import type { Principal } from '../../policy/types.js';
import type { Catalog, View } from '../upstream/catalog.js';
import type { Hub } from '../upstream/hub.js';
import { listView, resolveName } from './listing.js';
import { exposeResultUris } from './result-uris.js';
import { newRequestId, readFacts } from './request-facts.js';
import type { RelayCaller } from '../upstream/relay.js';
import { ErrorCode, LooseResult, RpcError, type JsonObject, type RpcMessage } from '../upstream/rpc.js';
import { rawRequestHandler } from '../sdk-adapter.js';

type Extra = RequestHandlerExtra<Request, Notification>;

/** What the server needs to know about its session; owned by the session registry. */
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
  hub: Pick<Hub, 'list' | 'request' | 'subscribe' | 'unsubscribe' | 'listen'>;
  /** The catalog of the current runtime (a config reload replaces it). */
  catalog(): Catalog;
  /** Runs tools/call, resources/read and prompts/get through the broker: policy, upstream call, trace. */
  operate(ctx: McpCallContext, op: McpOperation): Promise<JsonObject>;
  log: Logger;
}

const LEVELS = LoggingLevelSchema.options;
const VERSION = '0.1.0';

export function createInboundServer(parts: InboundParts, session: SessionInfo): Server {
  const { hub } = parts;
  const server = new Server(
    { name: session.view.kind === 'federated' ? 'mcp-agent-gateway' : `mcp-agent-gateway/${session.view.id}`, version: VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );
  const who = (extra: Extra): Principal => readFacts(extra.authInfo)?.principal ?? session.principal;

  function caller(extra: Extra): RelayCaller {
    const caps = server.getClientCapabilities();
    return {
      sessionKey: session.id,
      supports: (m) => Boolean(m === 'sampling/createMessage' ? caps?.sampling : m === 'elicitation/create' ? caps?.elicitation : m === 'roots/list' ? caps?.roots : false),
      request: (req, signal) => extra.sendRequest(req as never, LooseResult, { signal, timeout: 600_000 }) as Promise<JsonObject>,
      async notify(n: RpcMessage) {
        const level = n.params?.level as LoggingLevel | undefined;
        if (session.logLevel && level && LEVELS.indexOf(level) < LEVELS.indexOf(session.logLevel)) return;
        await extra.sendNotification(n as never);
      },
    };
  }

  function context(extra: Extra): McpCallContext {
    const headers = extra.requestInfo?.headers ?? {};
    const facts = readFacts(extra.authInfo);
    const principal = facts?.principal ?? session.principal;
    const token = extra._meta?.progressToken;
    return {
      // The gateway's id of this HTTP request, as its x-request-id response header says: never the client's header.
      requestId: facts?.requestId ?? newRequestId(),
      sessionId: facts?.agentSessionId ?? session.id,
      mcpSessionId: session.id,
      keyId: principal.keyId,
      principal,
      signal: extra.signal,
      caller: caller(extra),
      startedAt: performance.now(),
      client: { ...server.getClientVersion(), userAgent: typeof headers['user-agent'] === 'string' ? headers['user-agent'].slice(0, HEADER_VALUE_MAX) : null },
      ...(token !== undefined
        ? { onProgress: (p) => void extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken: token } }) }
        : {}),
    };
  }

  async function resolveUri(uri: string): Promise<{ serverId: string; uri: string }> {
    const r = session.view.resolveUri(uri);
    if (!r) throw new RpcError(-32002, `Resource not found: ${uri}`, { uri });
    return r;
  }

  async function operate(method: McpMethod, req: RpcMessage, extra: Extra): Promise<JsonObject> {
    const params = req.params ?? {};
    if (method === 'resources/read') {
      const exposed = String(params.uri);
      const t = await resolveUri(exposed);
      const result = await parts.operate(context(extra), { method, serverId: t.serverId, exposed, target: t.uri, params: { ...params, uri: t.uri } });
      return exposeResultUris(session.view, method, t.serverId, result, { upstream: t.uri, exposed });
    }
    const exposed = String(params.name);
    const t = await resolveName(hub, session.view, method === 'tools/call' ? 'tools' : 'prompts', exposed);
    if (!t) throw new RpcError(ErrorCode.InvalidParams, `Unknown ${method === 'tools/call' ? 'tool' : 'prompt'}: ${exposed}`);
    const result = await parts.operate(context(extra), { method, serverId: t.serverId, exposed, target: t.name, params: { ...params, name: t.name } });
    return exposeResultUris(session.view, method, t.serverId, result);
  }

  // Raw handlers: results are relayed as the upstream sent them, without the SDK re-validating them.
  rawRequestHandler(server, ListToolsRequestSchema, (_req, extra) => listView(hub, session.view, 'tools', who(extra)));
  rawRequestHandler(server, ListPromptsRequestSchema, (_req, extra) => listView(hub, session.view, 'prompts', who(extra)));
  rawRequestHandler(server, ListResourcesRequestSchema, (_req, extra) => listView(hub, session.view, 'resources', who(extra)));
  rawRequestHandler(server, ListResourceTemplatesRequestSchema, (_req, extra) => listView(hub, session.view, 'resourceTemplates', who(extra)));
  rawRequestHandler(server, CallToolRequestSchema, (req, extra) => operate('tools/call', req, extra));
  rawRequestHandler(server, GetPromptRequestSchema, (req, extra) => operate('prompts/get', req, extra));
  rawRequestHandler(server, ReadResourceRequestSchema, (req, extra) => operate('resources/read', req, extra));

  rawRequestHandler(server, SubscribeRequestSchema, async (req) => {
    const t = await resolveUri(String(req.params?.uri));
    await hub.subscribe(t.serverId, t.uri, session.id);
    session.subscriptions.add(`${t.serverId}\0${t.uri}`);
    return {};
  });
  rawRequestHandler(server, UnsubscribeRequestSchema, async (req) => {
    const t = await resolveUri(String(req.params?.uri));
    session.subscriptions.delete(`${t.serverId}\0${t.uri}`);
    await hub.unsubscribe(t.serverId, t.uri, session.id);
    return {};
  });

  rawRequestHandler(server, SetLevelRequestSchema, async (req) => {
    session.logLevel = LoggingLevelSchema.parse(req.params?.level);
    // Upstream connections are shared, so their level is only a hint; the gateway filters per session.
    for (const sid of session.view.servers) {
      void hub.request(sid, { method: 'logging/setLevel', params: { level: session.logLevel } }).catch(() => undefined);
    }
    return {};
  });

  rawRequestHandler(server, CompleteRequestSchema, async (req, extra) => {
    const params = req.params ?? {};
    const ref = (params.ref ?? {}) as JsonObject;
    let target: { serverId: string; ref: JsonObject } | null = null;
    if (ref.type === 'ref/prompt') {
      const t = await resolveName(hub, session.view, 'prompts', String(ref.name));
      if (t) target = { serverId: t.serverId, ref: { ...ref, name: t.name } };
    } else if (ref.type === 'ref/resource') {
      const t = session.view.resolveUri(String(ref.uri));
      if (t) target = { serverId: t.serverId, ref: { ...ref, uri: t.uri } };
    }
    if (!target) throw new RpcError(ErrorCode.InvalidParams, 'Unknown completion reference.');
    try {
      return await hub.request(target.serverId, { method: 'completion/complete', params: { ...params, ref: target.ref } }, { signal: extra.signal });
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === ErrorCode.MethodNotFound) return { completion: { values: [] } };
      throw err;
    }
  });

  return server;
}
