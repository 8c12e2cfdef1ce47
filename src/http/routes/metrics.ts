// GET /metrics: Prometheus text, served to anyone while the gateway is open and behind GATEWAY_ADMIN_KEY once any key exists.
import { Hono, type MiddlewareHandler } from 'hono';
import { adminAuth } from '../../admin/auth.js';
import { GatewayError } from '../../errors.js';
import type { AppEnv } from '../context.js';

/**
 * Series carry key ids, team names and model names, so they follow the gateway's mode: an open gateway (a local
 * proxy) shows them to anyone, as it serves anyone; once a key exists they are the admin's. Read per request,
 * because the first key closes a running gateway and a reload may flip `public`.
 */
function metricsAccess(): MiddlewareHandler<AppEnv> {
  const admin = adminAuth();
  return async (c, next) => {
    const rt = c.get('deps').runtime;
    // telemetry.metrics.public (default false) keeps scrapes unauthenticated on a closed gateway, when the operator says so.
    const settings = rt.config.telemetry.metrics;
    if (settings.public) return next();
    // A key store that cannot answer counts as closed: fail towards the admin key, not towards showing everything.
    if (await rt.keys.isOpen().catch(() => false)) return next();
    if (!rt.config.auth.adminKey) {
      throw new GatewayError('forbidden', 'This gateway has keys, so /metrics needs GATEWAY_ADMIN_KEY: set it, or set telemetry.metrics.public: true to serve metrics without a key.');
    }
    return admin(c, next);
  };
}

export function metricsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/metrics', metricsAccess());
  app.get('/metrics', async (c) => {
    const m = c.get('deps').metrics;
    return c.body(await m.render(), 200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
  });
  return app;
}
