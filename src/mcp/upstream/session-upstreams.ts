// Per-session upstream connections for servers with `isolation: session`: each client session gets its own process or
// connection, so server→client requests and server-side state never cross sessions, whatever the transport.
import type { Logger } from '../../log.js';
import type { McpServerConfig, McpSettings } from './config-schema.js';
import type { RelayRouter } from './relay.js';
import type { TransportFactory } from './transports.js';
import { createUpstream, type Upstream } from './upstream.js';

export interface SessionUpstreams {
  /** `sessionKey`'s own connection to `serverId`, made on first use; null when all are taken (the call then shares). */
  get(serverId: string, config: McpServerConfig, sessionKey: string): Upstream | null;
  /** The relay id of one session's connection: its server→client requests go only to that session. */
  relayId(serverId: string, sessionKey: string): string;
  /** Closes one client session's connections (the session ended). */
  endSession(sessionKey: string): Promise<void>;
  /** Closes every session connection to `serverId` (removed or changed in a reload). */
  closeServer(serverId: string): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  upstream: Upstream;
  lastUsed: number;
}

export function createSessionUpstreams(o: { settings: () => McpSettings; log: Logger; relay: RelayRouter; transports: TransportFactory; now?: () => number }): SessionUpstreams {
  const now = o.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const relayId = (serverId: string, sessionKey: string) => `${serverId}\0${sessionKey}`;

  function drop(key: string): Promise<void> {
    const e = entries.get(key);
    entries.delete(key);
    return e ? e.upstream.close() : Promise.resolve();
  }

  // A connection idle as long as a session may be is closed: its session is over, or it will reconnect on its next call.
  const sweep = setInterval(() => {
    const cutoff = now() - o.settings().sessionTtlMs;
    for (const [key, e] of entries) if (e.lastUsed < cutoff) void drop(key);
  }, 60_000);
  sweep.unref();

  const countFor = (serverId: string) => [...entries.keys()].filter((k) => k.startsWith(`${serverId}\0`)).length;

  return {
    relayId,
    get(serverId, config, sessionKey) {
      const key = relayId(serverId, sessionKey);
      let e = entries.get(key);
      if (!e) {
        if (countFor(serverId) >= o.settings().maxSessionConnections) {
          o.log.warn({ mcpServer: serverId }, 'mcp: every per-session connection of this server is taken; the call shares the server connection');
          return null;
        }
        const rid = relayId(serverId, sessionKey);
        // Only its session's requests and log lines matter here: the shared connection keeps the catalog and subscriptions.
        const upstream = createUpstream(
          serverId,
          { ...config, eager: false },
          o.settings(),
          o.log,
          {
            onServerRequest: (_sid, req, signal, callId) => o.relay.serverRequest(rid, req, signal, callId),
            onNotification: (_sid, n) => (n.method === 'notifications/message' ? void o.relay.notify(rid, n) : undefined),
            onStateChange: () => undefined,
          },
          o.transports,
        );
        e = { upstream, lastUsed: now() };
        entries.set(key, e);
      }
      e.lastUsed = now();
      return e.upstream;
    },
    async endSession(sessionKey) {
      await Promise.all([...entries.keys()].filter((k) => k.endsWith(`\0${sessionKey}`)).map(drop));
    },
    async closeServer(serverId) {
      await Promise.all([...entries.keys()].filter((k) => k.startsWith(`${serverId}\0`)).map(drop));
    },
    async close() {
      clearInterval(sweep);
      await Promise.all([...entries.keys()].map(drop));
    },
  };
}
