// Listing and name resolution for a view: merges upstream lists, renames, and reports servers left out.
import { principalAllowsMcp } from '../../policy/steps/authorize.js';
import type { Principal } from '../../policy/types.js';
import { federatedName, serverOfName, type NamedKind, type View } from '../upstream/catalog.js';
import type { Hub } from '../upstream/hub.js';
import type { ListKind } from '../upstream/lists.js';
import type { JsonObject } from '../upstream/rpc.js';

/** `_meta` key on list results naming the servers that were down or too slow to be listed. */
export const UNAVAILABLE_META = 'io.github.mcp-agent-gateway/unavailable';

const FIELD: Record<ListKind, 'name' | 'uri' | 'uriTemplate'> = {
  tools: 'name',
  prompts: 'name',
  resources: 'uri',
  resourceTemplates: 'uriTemplate',
};

/** Lists what the view offers and the principal may use: tools by their federated name, the rest by server (tools held back by pinning are already out of the hub's lists). */
export async function listView(hub: Pick<Hub, 'list'>, view: View, kind: ListKind, principal: Principal): Promise<JsonObject> {
  const settled = await Promise.allSettled(view.servers.map((sid) => hub.list(sid, kind)));
  const items: JsonObject[] = [];
  const missing: { server: string; reason: string }[] = [];
  settled.forEach((s, i) => {
    const sid = view.servers[i]!;
    if (s.status === 'rejected') {
      missing.push({ server: sid, reason: (s.reason as Error)?.message ?? 'unavailable' });
      return;
    }
    const checked = principal.key !== null || principal.team !== null;
    if (checked && kind !== 'tools' && !principalAllowsMcp(principal, sid)) return;
    for (const item of s.value) {
      const field = FIELD[kind];
      const original = String(item[field] ?? '');
      if (checked && kind === 'tools' && !principalAllowsMcp(principal, sid, federatedName(sid, original))) continue;
      const exposed =
        field === 'name' ? view.exposeName(kind as NamedKind, sid, original) : view.exposeUri(sid, original, field === 'uriTemplate');
      if (exposed !== null) items.push(exposed === original ? item : { ...item, [field]: exposed });
    }
  });
  return { [kind]: items, ...(missing.length ? { _meta: { [UNAVAILABLE_META]: missing } } : {}) };
}

/**
 * A hub whose tool lists may leave out tools held back by pinning (mcp/guard): `listAll`, when present, is the upstream's
 * whole list, so the name of a held-back tool still resolves and its call gets a denial the agent's model can read.
 */
export type ResolvingHub = Pick<Hub, 'list'> & { listAll?: Hub['list'] };

/** Maps a client-facing tool or prompt name to its server and upstream name, or null when unknown here. */
export async function resolveName(hub: ResolvingHub, view: View, kind: NamedKind, exposed: string): Promise<{ serverId: string; name: string } | null> {
  if (view.kind === 'upstream') return { serverId: view.id, name: exposed };
  const hinted = view.kind === 'federated' ? serverOfName(exposed) : null;
  const candidates = hinted && view.servers.includes(hinted.serverId) ? [hinted.serverId] : view.servers;
  for (const sid of candidates) {
    const items = await (hub.listAll ? hub.listAll(sid, kind) : hub.list(sid, kind)).catch(() => null);
    const hit = items?.find((it) => view.exposeName(kind, sid, String(it.name)) === exposed);
    if (hit) return { serverId: sid, name: String(hit.name) };
  }
  // The server may be down or slow to list: a plain federated name still routes, so the call can report why.
  if (hinted && candidates.length === 1 && candidates[0] === hinted.serverId && view.exposeName(kind, hinted.serverId, hinted.rest) === exposed) {
    return { serverId: hinted.serverId, name: hinted.rest };
  }
  return null;
}
