// /healthz (the process is up) and /readyz (the database answers and the gateway is not draining; MCP upstream health; auth mode).
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';

export function healthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const deps = c.get('deps');
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
    // "open": no keys anywhere yet, anonymous calls pass; "keys": every call needs a key.
    const auth = await deps.keys.isOpen().then((open) => (open ? 'open' : 'keys'), () => 'unknown');
    return c.json({ status: ready ? 'ready' : 'not_ready', auth, checks, mcp }, ready ? 200 : 503);
  });
  return app;
}
