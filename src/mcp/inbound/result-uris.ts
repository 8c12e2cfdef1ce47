// URIs inside results, as the session's view names them: what a client reads back resolves to the same resource.
import type { McpMethod } from '../../broker/mcp-operation.js';
import { federatedUri, type View } from '../upstream/catalog.js';
import { isJsonObject, type JsonObject } from '../upstream/rpc.js';


/**
 * The client-facing form of an upstream URI. A resource this view hides keeps the federated form: it names the
 * server unambiguously and resolves only where that server's resource is exposed, never to another server's.
 */
function exposeOne(view: View, serverId: string, uri: string): string {
  return view.exposeUri(serverId, uri) ?? federatedUri(serverId, uri);
}

/** A content block with its `resource_link` or embedded resource URI renamed; other blocks unchanged. */
function block(view: View, serverId: string, b: unknown): unknown {
  if (!isJsonObject(b)) return b;
  if (b.type === 'resource_link' && typeof b.uri === 'string') return { ...b, uri: exposeOne(view, serverId, b.uri) };
  if (b.type === 'resource' && isJsonObject(b.resource) && typeof b.resource.uri === 'string') {
    return { ...b, resource: { ...b.resource, uri: exposeOne(view, serverId, b.resource.uri) } };
  }
  return b;
}

/**
 * Renames the URIs of one result for the view. `read` is the upstream URI a resources/read asked for and `exposed`
 * the client's name for it: contents for exactly that URI take the client's name (templates included).
 */
export function exposeResultUris(
  view: View,
  method: McpMethod,
  serverId: string,
  result: JsonObject,
  read?: { upstream: string; exposed: string },
): JsonObject {
  // An upstream route shows the server's own URIs: nothing to rename.
  if (view.kind === 'upstream') return result;
  if (method === 'tools/call') return withList(result, 'content', (b) => block(view, serverId, b));
  if (method === 'prompts/get') {
    return withList(result, 'messages', (m) => {
      if (!isJsonObject(m)) return m;
      const content = block(view, serverId, m.content);
      return content === m.content ? m : { ...m, content };
    });
  }
  if (method === 'resources/read') {
    return withList(result, 'contents', (c) => {
      if (!isJsonObject(c) || typeof c.uri !== 'string') return c;
      const uri = read && c.uri === read.upstream ? read.exposed : exposeOne(view, serverId, c.uri);
      return uri === c.uri ? c : { ...c, uri };
    });
  }
  return result;
}

/** The result with one list's entries mapped; the same object when no entry changed (most tool results hold no URI). */
function withList(result: JsonObject, field: string, map: (v: unknown) => unknown): JsonObject {
  const list = result[field];
  if (!Array.isArray(list)) return result;
  const next = list.map(map);
  return next.some((v, i) => v !== list[i]) ? { ...result, [field]: next } : result;
}
