// /metrics and /admin/openapi.json: served to anyone while the gateway is open, behind the admin key once any key exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-ops-auth-0123456789';
const KEY = 'sk-gw-ops-auth-key-0123456789';
const PATHS = ['/metrics', '/admin/openapi.json'];

const get = (gw: RunningGateway, path: string, token?: string) =>
  fetch(`${gw.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('ops endpoints on a gateway with keys', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ providers: { mock: { kind: 'mock' } }, keys: [{ id: 'k1', key: KEY }], telemetry: { metrics: { processMetrics: false } } }, { GATEWAY_ADMIN_KEY: ADMIN });
  });
  afterAll(() => gw?.stop());

  it.each(PATHS)('%s: 401 without the admin key or with a virtual key, 200 with it', async (path) => {
    const none = await get(gw, path);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get(gw, path, KEY)).status).toBe(401);
    expect((await get(gw, path, 'wrong-admin-key-0123456789')).status).toBe(401);
    const ok = await get(gw, path, ADMIN);
    expect(ok.status).toBe(200);
    const body = await ok.text();
    expect(body).toContain(path === '/metrics' ? 'gateway_http_requests_total' : '"openapi"');
  });

  it('serves /metrics without a key when the operator makes it public', async () => {
    // Set on the live config as a reload would (the route reads it per request).
    const metrics = gw.deps.runtime.config.telemetry.metrics;
    metrics.public = true;
    try {
      expect((await get(gw, '/metrics')).status).toBe(200);
      expect((await get(gw, '/admin/openapi.json')).status).toBe(401);
    } finally {
      metrics.public = false;
    }
    expect((await get(gw, '/metrics')).status).toBe(401);
  });
});

describe('ops endpoints on an open gateway', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    // Its own in-memory database: the key created below must not close other files' gateways.
    gw = await startTestGateway({ providers: { mock: { kind: 'mock' } }, storage: { dataDir: 'memory://' }, telemetry: { metrics: { processMetrics: false } } });
  });
  afterAll(() => gw?.stop());

  it('serves both without a key while no key exists, and closes them when the first key is created', async () => {
    for (const path of PATHS) expect((await get(gw, path)).status).toBe(200);
    await gw.deps.admin.createKey({ name: 'first' });
    // No admin key is configured: metrics say how to reach them, the admin API is off.
    const metrics = await get(gw, '/metrics');
    expect(metrics.status).toBe(403);
    expect(((await metrics.json()) as { error: { message: string } }).error.message).toContain('GATEWAY_ADMIN_KEY');
    expect((await get(gw, '/admin/openapi.json')).status).toBe(404);
  });
});
