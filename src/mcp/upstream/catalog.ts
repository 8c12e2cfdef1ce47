// Names clients see: federated `<serverId>__<tool>` (sanitised, hash-suffixed), `<serverId>+<uri>`, and per-route views.
import { createHash } from 'node:crypto';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { GatewayConfig } from '../../config.js';

const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const SEP = '__';

/** `<serverId>__<name>`; when that breaks the client regex, invalid chars become `_`, cut to fit, plus a hash of the original. */
export function federatedName(serverId: string, name: string): string {
  const plain = `${serverId}${SEP}${name}`;
  if (VALID_NAME.test(plain)) return plain;
  const hash = createHash('sha256').update(`${serverId}\0${name}`).digest('hex').slice(0, 6);
  return `${plain.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64 - 7)}_${hash}`;
}

export function federatedUri(serverId: string, uri: string): string {
  return `${serverId}+${uri}`;
}

/** Splits `<serverId>+<uri>`; server ids hold no "+", so the first one separates. */
export function parseFederatedUri(uri: string): { serverId: string; uri: string } | null {
  const i = uri.indexOf('+');
  return i > 0 ? { serverId: uri.slice(0, i), uri: uri.slice(i + 1) } : null;
}

/** The server id part of a federated name (ids hold no "_", so the first "__" separates). */
export function serverOfName(name: string): { serverId: string; rest: string } | null {
  const i = name.indexOf(SEP);
  return i > 0 ? { serverId: name.slice(0, i), rest: name.slice(i + SEP.length) } : null;
}

export type NamedKind = 'tools' | 'prompts';

/** What one route (`/mcp`, `/mcp/<upstream>`, `/mcp/<virtual>`) exposes, and how its names map upstream. */
export interface View {
  id: string;
  kind: 'federated' | 'upstream' | 'virtual';
  servers: string[];
  /** Equal for two views that expose the same things the same way: a reload tells sessions only about real changes. */
  signature: string;
  /** The client-facing name of an upstream tool or prompt, or null when this view hides it. */
  exposeName(kind: NamedKind, serverId: string, name: string): string | null;
  /** The client-facing URI (or template) of an upstream resource, or null when hidden. */
  exposeUri(serverId: string, uri: string, template?: boolean): string | null;
  /** Maps a client URI back to its server without a catalog (prefix or identity); null when it needs the catalog. */
  resolveUri(uri: string): { serverId: string; uri: string } | null;
}

function upstreamView(id: string): View {
  return {
    id,
    kind: 'upstream',
    servers: [id],
    signature: `upstream:${id}`,
    exposeName: (_k, sid, name) => (sid === id ? name : null),
    exposeUri: (sid, uri) => (sid === id ? uri : null),
    resolveUri: (uri) => ({ serverId: id, uri }),
  };
}

function federatedView(servers: string[]): View {
  return {
    id: '',
    kind: 'federated',
    servers,
    signature: `federated:${servers.join(',')}`,
    exposeName: (_k, sid, name) => federatedName(sid, name),
    exposeUri: (sid, uri) => federatedUri(sid, uri),
    resolveUri: (uri) => {
      const p = parseFederatedUri(uri);
      return p && servers.includes(p.serverId) ? p : null;
    },
  };
}

/** Bare names, except where two entries share one: those keep their federated form. */
function unprefixed(entries: string[], split: (e: string) => { serverId: string; rest: string } | null): Map<string, string> {
  const bare = entries.map((e) => split(e)?.rest ?? e);
  const out = new Map<string, string>();
  entries.forEach((e, i) => out.set(e, bare.filter((b) => b === bare[i]).length > 1 ? e : bare[i]!));
  return out;
}

function virtualView(id: string, def: GatewayConfig['virtualServers'][string], known: string[]): View {
  const names = { tools: unprefixed(def.tools, serverOfName), prompts: unprefixed(def.prompts, serverOfName) };
  const splitUri = (e: string) => {
    const p = parseFederatedUri(e);
    return p ? { serverId: p.serverId, rest: p.uri } : null;
  };
  const uris = unprefixed(def.resources, splitUri);
  const servers = [...new Set([...def.tools, ...def.prompts].map((n) => serverOfName(n)?.serverId).concat(def.resources.map((u) => parseFederatedUri(u)?.serverId)))]
    .filter((s): s is string => !!s && known.includes(s));
  const back = new Map([...uris].map(([fed, exposed]) => [exposed, parseFederatedUri(fed)!]));
  const templates = [...uris]
    .filter(([, exposed]) => UriTemplate.isTemplate(exposed))
    .map(([fedUri, exposed]) => {
      const fed = parseFederatedUri(fedUri)!;
      return { t: new UriTemplate(exposed), fed, up: new UriTemplate(fed.uri) };
    });
  return {
    id,
    kind: 'virtual',
    servers,
    signature: `virtual:${id}:${servers.join(',')}:${JSON.stringify([def.tools, def.prompts, def.resources])}`,
    exposeName: (kind, sid, name) => names[kind].get(federatedName(sid, name)) ?? null,
    exposeUri: (sid, uri, template) => {
      const exact = uris.get(federatedUri(sid, uri));
      if (exact !== undefined || template) return exact ?? null;
      // A concrete URI (a read, a link in a result, an update) is exposed when an exposed template of its server covers it.
      const covering = templates.find(({ fed, up }) => fed.serverId === sid && up.match(uri));
      return covering ? (covering.t.toString() === covering.fed.uri ? uri : federatedUri(sid, uri)) : null;
    },
    resolveUri: (uri) => {
      const exact = back.get(uri);
      if (exact && !UriTemplate.isTemplate(exact.uri)) return exact;
      for (const { t, fed } of templates) {
        // An exposed template equals the upstream one unless a collision kept the prefix.
        if (t.match(uri)) return { serverId: fed.serverId, uri: uri.startsWith(`${fed.serverId}+`) ? uri.slice(fed.serverId.length + 1) : uri };
      }
      return null;
    },
  };
}

type CatalogConfig = Pick<GatewayConfig, 'mcpServers' | 'virtualServers'>;

/** The view for a route id ('' = federated), or null when no upstream or virtual server has that id. */
export function createView(config: CatalogConfig, id: string): View | null {
  const upstreams = Object.keys(config.mcpServers);
  if (id === '') return federatedView(upstreams);
  if (config.mcpServers[id]) return upstreamView(id);
  const v = config.virtualServers[id];
  return v ? virtualView(id, v, upstreams) : null;
}

/** The MCP side of one config: which upstream servers exist and what each route serves. Part of the runtime snapshot. */
export interface Catalog {
  /** Upstream server ids, in config order. */
  servers: string[];
  /** The view for a route id ('' = federated), or null when no upstream or virtual server has that id. */
  view(route: string): View | null;
}

export function createCatalog(config: CatalogConfig): Catalog {
  const views = new Map<string, View>();
  return {
    servers: Object.keys(config.mcpServers),
    view(route) {
      // Only known routes are kept: the route comes from the URL, so unknown ones must not grow the map.
      let v = views.get(route) ?? null;
      if (!v && (v = createView(config, route))) views.set(route, v);
      return v;
    },
  };
}

/** What a session sees when its route vanished in a reload: nothing, until the client reconnects elsewhere. */
export function emptyView(route: string): View {
  return {
    id: route,
    kind: 'virtual',
    servers: [],
    signature: `gone:${route}`,
    exposeName: () => null,
    exposeUri: () => null,
    resolveUri: () => null,
  };
}
