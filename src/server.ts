// Starts the HTTP server for an app and stops it gracefully: stop accepting, drain in-flight work, flush.
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants as osConstants } from 'node:os';
import { createApp, createMcpSessionsFor } from './app.js';
import type { Deps } from './deps.js';
import type { Logger } from './log.js';
import type { McpSessions } from './mcp/inbound/sessions.js';
import { startHealthChecks } from './routing/health-checks.js';
import { createConfigReloader, type ReloadResult } from './routing/reload.js';

export interface RunningGateway {
  url: string;
  port: number;
  deps: Deps;
  /** Inbound MCP sessions held by this gateway (closed by stop() before deps). */
  mcp: McpSessions;
  /** Graceful stop; resolves when writes are flushed and connections closed. */
  stop(): Promise<void>;
  /** Validates and applies a config file now (hot reload); a bad file is rejected and the old config keeps serving. */
  reloadConfig(path: string): ReloadResult;
  /** Reloads the config whenever the file changes; stopped by stop(). */
  watchConfig(path: string): void;
}

export async function startGateway(deps: Deps): Promise<RunningGateway> {
  const mcp = createMcpSessionsFor(deps);
  const app = createApp(deps, { mcp });
  const { port, host } = deps.config.server;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
  });
  const http = server as Server;
  http.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeouts
  const actual = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${actual}`;
  // The CLI finds this gateway through its data directory's lock: publish an address it can dial (not a wildcard).
  const dialHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : shownHost;
  deps.database.lock?.publish(`http://${dialHost}:${actual}`);
  let stopping: Promise<void> | null = null;
  // After a reload swapped the runtime and the hub reconciled: sessions re-resolve their routes and hear list_changed.
  const reloader = createConfigReloader(deps, { onApplied: () => mcp.refresh() });
  const stopHealthChecks = startHealthChecks(deps);

  async function stop(): Promise<void> {
    deps.state.shuttingDown = true;
    reloader.close();
    stopHealthChecks();
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    const drained = await deps.inflight.drained(deps.config.server.shutdownGraceMs);
    if (!drained) deps.log.warn({ inflight: deps.inflight.count() }, 'shutdown: grace period over, closing connections');
    // Finished responses may still be flushing; close their connections as each goes idle, then force the rest.
    const flushDeadline = Date.now() + 2_000;
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    while (!isClosed && Date.now() < flushDeadline) {
      http.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    http.closeAllConnections();
    await closed;
    await mcp.close();
    await deps.close();
  }

  return {
    url,
    port: actual,
    deps,
    mcp,
    stop: () => (stopping ??= stop()),
    reloadConfig: (path) => reloader.reload(path),
    watchConfig: (path) => reloader.watch(path),
  };
}

/** A repeat of the stop request within this long after the first is the same request delivered twice. */
export const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;

export interface ShutdownSignalDeps {
  stop(): Promise<void>;
  log: Logger;
  exit(code: number): void;
  inflight(): number;
  /** Read at the signal: a config reload may have changed it. */
  graceMs(): number;
  now?: () => number;
}

/**
 * What SIGTERM and SIGINT do. Under `npm start` one Ctrl-C arrives twice: the terminal signals the whole
 * process group and npm forwards its own copy to the script (`kill -TERM -<pgid>` does the same). A repeat
 * within a short window is therefore not a decision to cut streams; a repeat after it is someone insisting.
 */
export function createShutdownSignalHandler(d: ShutdownSignalDeps): (signal: NodeJS.Signals) => void {
  const now = d.now ?? Date.now;
  let firstAt: number | null = null;
  return (signal) => {
    const at = now();
    if (firstAt === null) {
      firstAt = at;
      d.log.info({ signal, inflight: d.inflight(), graceMs: d.graceMs() }, 'shutting down: draining in-flight requests (signal again to exit at once)');
      d.stop().then(
        () => d.exit(0),
        (err: unknown) => {
          d.log.error({ err }, 'shutdown failed');
          d.exit(1);
        },
      );
      return;
    }
    if (at - firstAt < DUPLICATE_SIGNAL_WINDOW_MS) {
      d.log.debug({ signal }, 'shutdown: the same stop request delivered twice; still draining');
      return;
    }
    d.log.warn({ signal, inflight: d.inflight() }, 'shutdown: second signal, exiting now without finishing the drain');
    d.exit(128 + (osConstants.signals[signal] ?? 0));
  };
}
