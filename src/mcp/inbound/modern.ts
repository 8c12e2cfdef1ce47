// MCP protocol 2026-07-28 (stateless requests, server/discover, input_required, subscriptions/listen): one SDK handler per route over the hub and catalog the 2025 sessions use.
import { randomUUID } from 'node:crypto';
import { createMcpHandler, type McpHttpHandler, type McpRequestContext } from '@modelcontextprotocol/server';
import { isJsonObject, type JsonObject } from '../upstream/rpc.js';
import type { InputFlows } from './input-flows.js';
import { factsAuthInfo, readFacts, type McpRequest } from './request-facts.js';
import { rpcError } from './rpc-response.js';
import type { RelayServer } from '../sdk-adapter.js';
import { createInboundServer, type InboundParts } from './server.js';
import { onStreamEnd } from './stream-end.js';

export interface ModernMcp {
  handle(req: McpRequest): Promise<Response>;
  /** After a config reload: open subscriptions/listen streams of a route whose view changed hear list_changed; a route gone is closed. */
  refresh(): void;
  close(): Promise<void>;
}

export interface ModernMcpOptions extends InboundParts {
  flows: InputFlows;
}

interface Route {
  handler: McpHttpHandler;
  signature: string;
}

const MAX_LISTENED = 64;

/** The resource URIs a subscriptions/listen request asks updates for. */
function listenedUris(body: unknown): string[] {
  if (!isJsonObject(body) || body.method !== 'subscriptions/listen' || !isJsonObject(body.params) || !isJsonObject(body.params.notifications)) return [];
  const uris = body.params.notifications.resourceSubscriptions;
  return Array.isArray(uris) ? [...new Set(uris.filter((u): u is string => typeof u === 'string'))].slice(0, MAX_LISTENED) : [];
}

export function createModernMcp(opts: ModernMcpOptions): ModernMcp {
  const { hub, log, flows } = opts;
  const routes = new Map<string, Route>();
  const viewOf = (route: string) => opts.catalog().view(route);

  /** One server per request, built from the route's current view: a reload applies to the next request. */
  function factory(route: string, rc: McpRequestContext): RelayServer {
    const facts = readFacts(rc.authInfo);
    if (!facts) throw new Error('mcp: a 2026-07-28 request reached the SDK without the gateway request facts');
    const view = viewOf(route);
    if (!view) throw new Error(`mcp: route "${route}" is gone`);
    return createInboundServer(opts, { id: facts.requestId, principal: facts.principal, view, subscriptions: new Set() }, { route, flows });
  }

  function routeOf(id: string): Route | null {
    const known = routes.get(id);
    if (known) return known;
    const view = viewOf(id);
    if (!view) return null;
    const handler = createMcpHandler((rc) => factory(id, rc), {
      legacy: 'reject',
      onerror: (err) => log.debug({ err: err.message, route: id }, 'mcp: 2026-07-28 request refused'),
    });
    const r: Route = { handler, signature: view.signature };
    routes.set(id, r);
    return r;
  }

  // In-process delivery to the listen streams this replica holds; a Redis ServerEventBus would reach every replica's.
  const unlisten = hub.listen({
    onListChanged(sid, kinds) {
      for (const [id, r] of routes) {
        if (!viewOf(id)?.servers.includes(sid)) continue;
        if (kinds.includes('tools')) r.handler.notify.toolsChanged();
        if (kinds.includes('prompts')) r.handler.notify.promptsChanged();
        if (kinds.includes('resources') || kinds.includes('resourceTemplates')) r.handler.notify.resourcesChanged();
      }
    },
    onResourceUpdated(sid, uri) {
      for (const [id, r] of routes) {
        const exposed = viewOf(id)?.exposeUri(sid, uri);
        if (exposed != null) r.handler.notify.resourceUpdated(exposed);
      }
    },
  });

  /** Upstream servers only send updates for resources someone subscribed to: a listen stream holds their subscriptions while open. */
  async function subscribeFor(req: McpRequest, uris: string[]): Promise<() => void> {
    const key = `listen:${randomUUID()}`;
    const held: { serverId: string; uri: string }[] = [];
    const view = viewOf(req.route);
    for (const exposed of uris) {
      const t = view?.resolveUri(exposed);
      if (!t) continue;
      await hub.subscribe(t.serverId, t.uri, key).then(
        () => void held.push(t),
        (err: Error) => log.debug({ err: err.message, mcpServer: t.serverId }, 'mcp: upstream subscription for a listen stream failed'),
      );
    }
    return () => held.forEach((t) => void hub.unsubscribe(t.serverId, t.uri, key).catch(() => undefined));
  }

  return {
    async handle(req) {
      const r = routeOf(req.route);
      if (!r) return rpcError(404, -32001, `No MCP server or virtual server "${req.route}".`);
      const options = { authInfo: factsAuthInfo(req), ...(req.body === undefined ? {} : { parsedBody: req.body }) };
      const uris = listenedUris(req.body);
      if (uris.length === 0) return r.handler.fetch(req.raw, options);
      const release = await subscribeFor(req, uris);
      try {
        return onStreamEnd(await r.handler.fetch(req.raw, options), release);
      } catch (err) {
        release();
        throw err;
      }
    },
    refresh() {
      for (const [id, r] of routes) {
        const next = viewOf(id);
        if (!next) {
          routes.delete(id);
          void r.handler.close().catch(() => undefined);
          continue;
        }
        if (next.signature === r.signature) continue;
        r.signature = next.signature;
        r.handler.notify.toolsChanged();
        r.handler.notify.promptsChanged();
        r.handler.notify.resourcesChanged();
      }
    },
    async close() {
      unlisten();
      flows.close();
      await Promise.all([...routes.values()].map((r) => r.handler.close().catch(() => undefined)));
      routes.clear();
    },
  };
}
