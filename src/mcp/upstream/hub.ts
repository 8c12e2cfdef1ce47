// The hub: every upstream MCP server, their cached catalogs, calls with caller tracking, and event fan-out.
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../log.js';
import { createRelayRouter, type RelayCaller } from './relay.js';
import { createSessionUpstreams } from './session-upstreams.js';
import { ErrorCode, LooseResult, RpcError, type JsonObject, type RpcMessage } from './rpc.js';
import type { McpServerConfig, McpSettings } from './config-schema.js';
import { createTransportFactory, type TransportFactory } from './transports.js';
import { createUpstream, type Upstream, type UpstreamEvents } from './upstream.js';
import { fetchAll, type ListKind } from './lists.js';
import { nextRequestId } from '../sdk-adapter.js';
import { tracingOn } from '../../tracing/otel.js';
import { startMcpSpan, type McpSpan } from '../../tracing/otel-spans.js';

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
  /** Closes the `isolation: session` connections of one client session (it ended). */
  endSession(isolationKey: string): Promise<void>;
  /**
   * Brings the upstream set in line with a reloaded config: starts new servers, stops removed ones, restarts those
   * whose settings changed; the map changes at once (`closed` settles when the old connections are gone). New
   * `settings` (reconnect backoff, health pings) apply to the servers started from now on.
   */
  reconcile(servers: Record<string, McpServerConfig>, settings: McpSettings): HubChanges & { closed: Promise<void> };
  start(): void;
  close(): Promise<void>;
}

export interface HubChanges {
  added: string[];
  removed: string[];
  restarted: string[];
}

export interface HubOptions {
  servers: Record<string, McpServerConfig>;
  settings: McpSettings;
  log: Logger;
  /** How connections are made; the default spawns stdio servers and dials HTTP ones, tests pass in-memory transports. */
  transports?: TransportFactory;
}

/** Key order cannot make two equal configs differ (YAML maps keep the order they were written in). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Whether two entries connect the same way: pins are judged per listing (mcp/guard), so a new pin needs no reconnect. */
function sameConnection(a: McpServerConfig, b: McpServerConfig): boolean {
  return canonical({ ...a, pins: undefined }) === canonical({ ...b, pins: undefined });
}

/** The CLIENT span of one upstream call; its params carry our traceparent in `_meta`. */
function mcpSpan(sid: string, u: Upstream, msg: RpcMessage): McpSpan | null {
  const c = u.config;
  return startMcpSpan({ serverId: sid, method: msg.method, params: msg.params, transport: c.type, ...(c.type === 'stdio' ? {} : { url: c.url }) });
}

export function createHub(options: HubOptions): Hub {
  const { log } = options;
  const transports = options.transports ?? createTransportFactory(log);
  const listeners = new Set<HubListener>();
  const cache = new Map<string, Promise<JsonObject[]>>();
  const subs = new Map<string, Set<string>>();
  /** Subscriptions whose first resources/subscribe is in flight: the connection it opens must not send a second one. */
  const subscribing = new Set<string>();
  const relay = createRelayRouter(log);
  const sessionUpstreams = createSessionUpstreams({ settings: () => settings, log, relay, transports });
  const upstreams = new Map<string, Upstream>();
  let settings = options.settings;
  let started = false;

  const invalidate = (sid: string, kinds: ListKind[]) => {
    for (const k of kinds) cache.delete(`${sid}:${k}`);
    for (const l of listeners) l.onListChanged(sid, kinds);
  };
  const ALL: ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];

  /** Events of one connection; once it is replaced or removed, its late events no longer touch the server's state. */
  function events(self: () => Upstream): UpstreamEvents {
    const live = (sid: string) => upstreams.get(sid) === self();
    return {
      onServerRequest: (sid, req, signal, callId) => relay.serverRequest(sid, req, signal, callId),
      onNotification(sid, n) {
        if (!live(sid)) return;
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
      onStateChange(sid, state) {
        if (!live(sid) || (state !== 'ready' && state !== 'down')) return;
        invalidate(sid, ALL);
        if (state === 'ready') void resubscribe(sid);
      },
    };
  }

  function add(id: string, cfg: McpServerConfig): void {
    const self: Upstream = createUpstream(id, cfg, settings, log, events(() => self), transports);
    upstreams.set(id, self);
    if (started) self.start();
  }

  for (const [id, cfg] of Object.entries(options.servers)) add(id, cfg);

  function upstream(sid: string): Upstream {
    const u = upstreams.get(sid);
    if (!u) throw new RpcError(ErrorCode.InvalidParams, `Unknown MCP server "${sid}".`);
    return u;
  }

  async function resubscribe(sid: string): Promise<void> {
    for (const [k, keys] of subs) {
      if (!k.startsWith(`${sid}\0`) || keys.size === 0 || subscribing.has(k)) continue;
      const uri = k.slice(sid.length + 1);
      await request(sid, { method: 'resources/subscribe', params: { uri } }).catch(() => undefined);
    }
  }

  async function request(sid: string, msg: RpcMessage, opts: HubRequestOptions = {}): Promise<JsonObject> {
    const shared = upstream(sid);
    const isolated = shared.config.isolation === 'session' ? opts.caller?.isolationKey : undefined;
    const own = isolated ? sessionUpstreams.get(sid, shared.config, isolated) : null;
    const u = own ?? shared;
    const span = tracingOn() ? mcpSpan(sid, u, msg) : null;
    let release = (): void => undefined;
    try {
      const client = await u.client();
      // Read in the same turn as request() below, so no other call can take this id in between.
      const callId = nextRequestId(client);
      if (opts.caller) release = relay.enter(own && isolated ? sessionUpstreams.relayId(sid, isolated) : sid, opts.caller, callId);
      span?.sent(callId, u.sessionId());
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

  return {
    ids: () => [...upstreams.keys()],
    has: (sid) => upstreams.has(sid),
    health: () => Object.fromEntries([...upstreams].map(([id, u]) => [id, u.health()])),
    list(sid, kind) {
      const key = `${sid}:${kind}`;
      let p = cache.get(key);
      if (!p) {
        p = Promise.resolve(sid).then((id) => fetchAll(upstream(id), kind));
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
      if (!first) return;
      subscribing.add(k);
      try {
        await request(sid, { method: 'resources/subscribe', params: { uri } });
      } catch (err) {
        // Not subscribed after all: a retry must send resources/subscribe again rather than count as a second subscriber.
        set.delete(key);
        if (set.size === 0 && subs.get(k) === set) subs.delete(k);
        throw err;
      } finally {
        subscribing.delete(k);
      }
    },
    async unsubscribe(sid, uri, key) {
      const k = `${sid}\0${uri}`;
      const set = subs.get(k);
      if (!set?.delete(key) || set.size > 0) return;
      subs.delete(k);
      await request(sid, { method: 'resources/unsubscribe', params: { uri } }).catch(() => undefined);
    },
    endSession: (key) => sessionUpstreams.endSession(key),
    listen(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    reconcile(servers, next) {
      settings = next;
      const changes: HubChanges = { added: [], removed: [], restarted: [] };
      const old: Upstream[] = [];
      for (const [id, u] of [...upstreams]) {
        const cfg = servers[id];
        if (cfg && sameConnection(cfg, u.config)) continue;
        upstreams.delete(id);
        old.push(u);
        void sessionUpstreams.closeServer(id);
        if (cfg) {
          changes.restarted.push(id);
          add(id, cfg); // subscriptions stay: the new connection resubscribes once ready
          // A lazy server would otherwise wait for its next call, and its subscribers would hear no updates until then.
          const subscribed = [...subs].some(([k, keys]) => k.startsWith(`${id}\0`) && keys.size > 0);
          if (started && subscribed) void upstreams.get(id)!.client().catch(() => undefined);
        } else {
          changes.removed.push(id);
          for (const k of [...subs.keys()]) if (k.startsWith(`${id}\0`)) subs.delete(k);
        }
        invalidate(id, ALL);
      }
      for (const [id, cfg] of Object.entries(servers)) {
        if (upstreams.has(id)) continue;
        changes.added.push(id);
        add(id, cfg);
      }
      return { ...changes, closed: Promise.all(old.map((u) => u.close())).then(() => undefined) };
    },
    start() {
      started = true;
      for (const u of upstreams.values()) u.start();
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.close()).concat(sessionUpstreams.close()));
    },
  };
}
