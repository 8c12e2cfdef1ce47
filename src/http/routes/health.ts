// /healthz (the process is up) and /readyz (the database answers and the gateway is not draining; MCP upstream health).
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';

export function healthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const deps = c.var.deps;
    const checks: Record<string, string> = {};
    try {
      await deps.database.ping();
      checks.database = 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    const ready = !deps.state.shuttingDown && checks.database === 'ok';
    // Upstream MCP servers are reported, not required: a down server only leaves the catalog.
    const mcp = deps.hub.health();
    return c.json({ status: ready ? 'ready' : 'not_ready', checks, mcp }, ready ? 200 : 503);
  });
  return app;
}
