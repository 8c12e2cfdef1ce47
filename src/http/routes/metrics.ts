// GET /metrics: Prometheus text; open like /healthz unless telemetry.metrics.requireAdminKey.
import { Hono } from 'hono';
import { adminAuth } from '../../admin/auth.js';
import type { AppEnv } from '../context.js';

export function metricsRoutes(opts: { requireAdminKey: boolean }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  if (opts.requireAdminKey) app.use('/metrics', adminAuth());
  app.get('/metrics', async (c) => {
    const m = c.var.deps.metrics;
    return c.body(await m.render(), 200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
  });
  return app;
}
