// URIs inside results, as the session's view names them: what a client reads back resolves to the same resource.
import type { McpMethod } from '../../broker/mcp-operation.js';
import { federatedUri, type View } from '../upstream/catalog.js';
import type { JsonObject } from '../upstream/rpc.js';

function isObj(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The client-facing form of an upstream URI. A resource this view hides keeps the federated form: it names the
 * server unambiguously and resolves only where that server's resource is exposed, never to another server's.
 */
function exposeOne(view: View, serverId: string, uri: string): string {
  return view.exposeUri(serverId, uri) ?? federatedUri(serverId, uri);
}

/** A content block with its `resource_link` or embedded resource URI renamed; other blocks unchanged. */
function block(view: View, serverId: string, b: unknown): unknown {
  if (!isObj(b)) return b;
  if (b.type === 'resource_link' && typeof b.uri === 'string') return { ...b, uri: exposeOne(view, serverId, b.uri) };
  if (b.type === 'resource' && isObj(b.resource) && typeof b.resource.uri === 'string') {
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
  if (method === 'tools/call' && Array.isArray(result.content)) {
    return { ...result, content: result.content.map((b) => block(view, serverId, b)) as JsonObject[] };
  }
  if (method === 'prompts/get' && Array.isArray(result.messages)) {
    const messages = result.messages.map((m) => (isObj(m) ? { ...m, content: block(view, serverId, m.content) } : m));
    return { ...result, messages: messages as JsonObject[] };
  }
  if (method === 'resources/read' && Array.isArray(result.contents)) {
    const contents = result.contents.map((c) => {
      if (!isObj(c) || typeof c.uri !== 'string') return c;
      return { ...c, uri: read && c.uri === read.upstream ? read.exposed : exposeOne(view, serverId, c.uri) };
    });
    return { ...result, contents: contents as JsonObject[] };
  }
  return result;
}
