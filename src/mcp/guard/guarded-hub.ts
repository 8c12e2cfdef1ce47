// The hub as inbound MCP sessions see it: lists pass the pinning guard and the injection scan; an approval tells sessions their tools changed.
import type { Hub } from '../upstream/hub.js';
import type { DefinitionScanner } from './definition-scan.js';
import type { ToolGuard } from './tool-pins.js';

export type InboundHub = Pick<Hub, 'list' | 'request' | 'subscribe' | 'unsubscribe' | 'listen' | 'endSession'> & {
  /** The upstream's own list, held-back tools included: names still resolve, so a call gets a readable denial. */
  listAll: Hub['list'];
};

export function guardedHub(hub: Hub, guard: ToolGuard, scan: DefinitionScanner): InboundHub {
  return {
    list: async (sid, kind) => {
      const items = await hub.list(sid, kind);
      // The scan reads the upstream's own list (memoised per fetched list); pinning then holds back what it must.
      const shown = scan.visible(sid, kind, items);
      return kind === 'tools' ? guard.usable(sid, shown) : shown;
    },
    listAll: (sid, kind) => hub.list(sid, kind),
    request: (sid, msg, opts) => hub.request(sid, msg, opts),
    subscribe: (sid, uri, key) => hub.subscribe(sid, uri, key),
    unsubscribe: (sid, uri, key) => hub.unsubscribe(sid, uri, key),
    endSession: (key) => hub.endSession(key),
    listen(l) {
      const fromHub = hub.listen(l);
      const fromGuard = guard.onChange((sid) => l.onListChanged(sid, ['tools']));
      return () => {
        fromHub();
        fromGuard();
      };
    },
  };
}
