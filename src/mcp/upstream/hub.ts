// The hub: every upstream MCP server, their cached catalogs, calls with caller tracking, and event fan-out.
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../log.js';
import { createRelayRouter, type RelayCaller } from './relay.js';
import { ErrorCode, LooseResult, RpcError, type JsonObject, type RpcMessage } from './rpc.js';
import { createUpstream, type Upstream, type UpstreamState } from './upstream.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { tracingOn } from '../tracing/otel.js';
import { startMcpSpan, type McpSpan } from '../tracing/otel-spans.js';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

const LIST: Record<ListKind, { method: string; capability: 'tools' | 'prompts' | 'resources' }> = {
  tools: { method: 'tools/list', capability: 'tools' },
  prompts: { method: 'prompts/list', capability: 'prompts' },
  resources: { method: 'resources/list', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', capability: 'resources' },
};

export interface HubListener {
  onListChanged(serverId: string, kinds: ListKind[]): void;
  onResourceUpdated(serverId: string, uri: string): void;
}

export interface HubRequestOptions {
  signal?: AbortSignal;
  caller?: RelayCaller;
  onprogress?: (p: Progress) => void;
  timeoutMs?: number;
}

export interface Hub {
  ids(): string[];
  has(serverId: string): boolean;
  health(): Record<string, ReturnType<Upstream['health']>>;
  /** One server's full list (all pages), cached until list_changed or reconnect; throws when unavailable or slow. */
  list(serverId: string, kind: ListKind): Promise<JsonObject[]>;
  request(serverId: string, msg: RpcMessage, opts?: HubRequestOptions): Promise<JsonObject>;
  /** Reference-counted upstream subscription; `key` identifies the subscriber. */
  subscribe(serverId: string, uri: string, key: string): Promise<void>;
  unsubscribe(serverId: string, uri: string, key: string): Promise<void>;
  listen(l: HubListener): () => void;
  start(): void;
  close(): Promise<void>;
}

/** The CLIENT span of one upstream call; its params carry our traceparent in `_meta`. */
function mcpSpan(sid: string, u: Upstream, msg: RpcMessage): McpSpan | null {
  const c = u.config;
  return startMcpSpan({ serverId: sid, method: msg.method, params: msg.params, transport: c.type, ...(c.type === 'stdio' ? {} : { url: c.url }) });
}

/** The id the SDK gives the next request (assigned synchronously in request(); the SDK has no public accessor). */
function nextRequestId(client: Client): number | undefined {
  const v = (client as unknown as { _requestMessageId?: unknown })._requestMessageId;
  return typeof v === 'number' ? v : undefined;
}

export function createHub(config: GatewayConfig, log: Logger): Hub {
  const listeners = new Set<HubListener>();
  const cache = new Map<string, Promise<JsonObject[]>>();
  const subs = new Map<string, Set<string>>();
  const relay = createRelayRouter(log);
  const upstreams = new Map<string, Upstream>();

  const invalidate = (sid: string, kinds: ListKind[]) => {
    for (const k of kinds) cache.delete(`${sid}:${k}`);
    for (const l of listeners) l.onListChanged(sid, kinds);
  };
  const ALL: ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];

  for (const [id, cfg] of Object.entries(config.mcpServers)) {
    upstreams.set(
      id,
      createUpstream(id, cfg, config.mcp, log, {
        onServerRequest: (sid, req, signal) => relay.serverRequest(sid, req, signal),
        onNotification(sid, n) {
          switch (n.method) {
            case 'notifications/tools/list_changed':
              return invalidate(sid, ['tools']);
            case 'notifications/prompts/list_changed':
              return invalidate(sid, ['prompts']);
            case 'notifications/resources/list_changed':
              return invalidate(sid, ['resources', 'resourceTemplates']);
            case 'notifications/resources/updated': {
              const uri = String(n.params?.uri ?? '');
              for (const l of listeners) l.onResourceUpdated(sid, uri);
              return;
            }
            case 'notifications/message':
              return relay.notify(sid, n);
          }
        },
        onStateChange(sid, state: UpstreamState) {
          if (state === 'ready' || state === 'down') {
            invalidate(sid, ALL);
            if (state === 'ready') void resubscribe(sid);
          }
        },
      }),
    );
  }

  function upstream(sid: string): Upstream {
    const u = upstreams.get(sid);
    if (!u) throw new RpcError(ErrorCode.InvalidParams, `Unknown MCP server "${sid}".`);
    return u;
  }

  async function resubscribe(sid: string): Promise<void> {
    for (const [k, keys] of subs) {
      if (!k.startsWith(`${sid}\0`) || keys.size === 0) continue;
      const uri = k.slice(sid.length + 1);
      await request(sid, { method: 'resources/subscribe', params: { uri } }).catch(() => undefined);
    }
  }

  async function request(sid: string, msg: RpcMessage, opts: HubRequestOptions = {}): Promise<JsonObject> {
    const u = upstream(sid);
    const span = tracingOn() ? mcpSpan(sid, u, msg) : null;
    let release = (): void => undefined;
    try {
      const client = await u.client();
      if (opts.caller) release = relay.enter(sid, opts.caller);
      span?.sent(nextRequestId(client), u.sessionId());
      const res = await client.request({ method: msg.method, params: span ? span.params : msg.params } as never, LooseResult, {
        signal: opts.signal,
        timeout: opts.timeoutMs ?? u.config.timeouts.callMs,
        resetTimeoutOnProgress: true,
        ...(opts.onprogress ? { onprogress: opts.onprogress } : {}),
      });
      span?.result(res);
      return res;
    } catch (err) {
      span?.fail(err);
      throw err;
    } finally {
      span?.end();
      release();
    }
  }

  async function fetchAll(u: Upstream, kind: ListKind): Promise<JsonObject[]> {
    const client = await u.client();
    if (!u.capabilities()?.[LIST[kind].capability]) return [];
    const items: JsonObject[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await client.request({ method: LIST[kind].method, params: cursor ? { cursor } : {} } as never, LooseResult, {
        timeout: u.config.timeouts.listMs,
      });
      const got = res[kind];
      if (Array.isArray(got)) items.push(...(got as JsonObject[]));
      cursor = typeof res.nextCursor === 'string' ? res.nextCursor : undefined;
      if (!cursor) break;
    }
    return items;
  }

  return {
    ids: () => [...upstreams.keys()],
    has: (sid) => upstreams.has(sid),
    health: () => Object.fromEntries([...upstreams].map(([id, u]) => [id, u.health()])),
    list(sid, kind) {
      const key = `${sid}:${kind}`;
      let p = cache.get(key);
      if (!p) {
        p = fetchAll(upstream(sid), kind);
        cache.set(key, p);
        p.catch(() => cache.get(key) === p && cache.delete(key));
      }
      return p;
    },
    request,
    async subscribe(sid, uri, key) {
      const k = `${sid}\0${uri}`;
      const set = subs.get(k) ?? new Set<string>();
      subs.set(k, set);
      const first = set.size === 0;
      set.add(key);
      if (first) await request(sid, { method: 'resources/subscribe', params: { uri } });
    },
    async unsubscribe(sid, uri, key) {
      const k = `${sid}\0${uri}`;
      const set = subs.get(k);
      if (!set?.delete(key) || set.size > 0) return;
      subs.delete(k);
      await request(sid, { method: 'resources/unsubscribe', params: { uri } }).catch(() => undefined);
    },
    listen(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    start() {
      for (const u of upstreams.values()) u.start();
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.close()));
    },
  };
}
