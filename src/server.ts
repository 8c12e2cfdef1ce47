// Starts the HTTP server for an app and stops it gracefully: stop accepting, drain in-flight work, flush.
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Deps } from './deps.js';
import { startHealthChecks } from './routing/health-checks.js';
import { createConfigReloader, type ReloadResult } from './routing/reload.js';

export interface RunningGateway {
  url: string;
  port: number;
  deps: Deps;
  /** Graceful stop; resolves when writes are flushed and connections closed. */
  stop(): Promise<void>;
  /** Validates and applies a config file now (hot reload); a bad file is rejected and the old config keeps serving. */
  reloadConfig(path: string): ReloadResult;
  /** Reloads the config whenever the file changes; stopped by stop(). */
  watchConfig(path: string): void;
}

export async function startGateway(deps: Deps): Promise<RunningGateway> {
  const app = createApp(deps);
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
  const reloader = createConfigReloader(deps);
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
    await deps.close();
  }

  return {
    url,
    port: actual,
    deps,
    stop: () => (stopping ??= stop()),
    reloadConfig: (path) => reloader.reload(path),
    watchConfig: (path) => reloader.watch(path),
  };
}
