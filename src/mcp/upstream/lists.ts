// Listing one upstream server: the list methods per kind and the paging through them.
import { LooseResult, type JsonObject } from './rpc.js';
import type { Upstream } from './upstream.js';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

const LIST: Record<ListKind, { method: string; capability: 'tools' | 'prompts' | 'resources' }> = {
  tools: { method: 'tools/list', capability: 'tools' },
  prompts: { method: 'prompts/list', capability: 'prompts' },
  resources: { method: 'resources/list', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', capability: 'resources' },
};

/** One server's full list, every page (at most 100); empty when the server lacks the capability. */
export async function fetchAll(u: Upstream, kind: ListKind): Promise<JsonObject[]> {
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
