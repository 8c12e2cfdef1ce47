// PATCH /admin/keys/{id} edits a key's rules: the next call with the key obeys them (on this replica and, over Redis, the other), bad bodies are 400s, config keys 409.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/policy/key-format.js';
import type { RunningGateway } from '../../src/server.js';
import { adminCall, startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-rules-0123456789abcdef';
const CONFIG_KEY = 'sk-config-declared-0123456789abcdef';
const config = {
  providers: { mock: { kind: 'mock', models: ['echo', 'other'] } },
  keys: [{ id: 'cfg-key', key: CONFIG_KEY, models: ['mock/echo'] }],
  // A cache TTL far beyond the test: only an invalidation can make a replica see the new rules.
  auth: { keyCacheTtlMs: 600_000 },
};


const admin = (gw: RunningGateway, method: string, path: string, body?: unknown) => adminCall(gw, ADMIN, method, path, body);

async function chat(gw: RunningGateway, key: string, model: string): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body?.cancel();
  return res.status;
}

describe('editing a key’s rules through the admin API', () => {
  let gw: RunningGateway;
  let id = '';
  let secret = '';
  beforeAll(async () => {
    gw = await startTestGateway(config, { GATEWAY_ADMIN_KEY: ADMIN });
    const created = await admin(gw, 'POST', '/keys', { name: 'agent', models: ['mock/*'], metadata: { owner: 'qa' } });
    expect(created.status).toBe(201);
    ({ id } = created.json.record);
    secret = created.json.key;
  });
  afterAll(async () => gw?.stop());

  it('applies new rules to the very next call, keeping the fields not given', async () => {
    expect(await chat(gw, secret, 'mock/other')).toBe(200); // cached now, with the old rules
    const patched = await admin(gw, 'PATCH', `/keys/${id}`, { models: ['mock/echo'], rateLimits: { requestsPerMinute: 1000 } });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json.policy).toMatchObject({ models: ['mock/echo'], tools: ['*'], mcpServers: ['*'], rateLimits: { requestsPerMinute: 1000 }, pii: null });
    expect(patched.json).toMatchObject({ id, name: 'agent', metadata: { owner: 'qa' }, status: 'active', expiresAt: null });
    // Nothing secret comes back: not the key, not its hash.
    const text = JSON.stringify(patched.json);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(hashKey(secret).replace(/^sha256:/, ''));
    expect(await chat(gw, secret, 'mock/other')).toBe(403);
    expect(await chat(gw, secret, 'mock/echo')).toBe(200);
    expect((await admin(gw, 'GET', `/keys/${id}`)).json.policy.models).toEqual(['mock/echo']);
  });

  it('takes a rate limit at once', async () => {
    // A key of its own: calls made under another limit would count in a shared (Redis) window.
    const limited = await admin(gw, 'POST', '/keys', { name: 'limited' });
    expect(await chat(gw, limited.json.key, 'mock/echo')).toBe(200);
    expect(await chat(gw, limited.json.key, 'mock/echo')).toBe(200);
    expect((await admin(gw, 'PATCH', `/keys/${limited.json.record.id}`, { rateLimits: { requestsPerMinute: 1 } })).status).toBe(200);
    expect(await chat(gw, limited.json.key, 'mock/echo')).toBe(200);
    expect(await chat(gw, limited.json.key, 'mock/echo')).toBe(429);
    expect((await admin(gw, 'PATCH', `/keys/${limited.json.record.id}`, { rateLimits: {} })).json.policy.rateLimits).toEqual({});
    expect(await chat(gw, limited.json.key, 'mock/echo')).toBe(200);
  });

  it('sets the expiry without rules, and both together', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const one = await admin(gw, 'PATCH', `/keys/${id}`, { expiresAt: later });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ expiresAt: later, policy: { models: ['mock/echo'] } });
    const both = await admin(gw, 'PATCH', `/keys/${id}`, { expiresAt: null, models: ['mock/*'], pii: 'redact' });
    expect(both.status).toBe(200);
    expect(both.json).toMatchObject({ expiresAt: null, policy: { models: ['mock/*'], pii: 'redact' } });
    expect(await chat(gw, secret, 'mock/other')).toBe(200);
    const past = await admin(gw, 'PATCH', `/keys/${id}`, { expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.json.status).toBe('expired');
    expect(await chat(gw, secret, 'mock/echo')).toBe(401);
    expect((await admin(gw, 'PATCH', `/keys/${id}`, { expiresAt: null })).json.status).toBe('active');
    expect(await chat(gw, secret, 'mock/echo')).toBe(200);
  });

  it('refuses bad bodies with a 400 that names the field, and changes nothing', async () => {
    const cases: Array<[unknown, RegExp, string | null]> = [
      [{}, /at least one of expiresAt, models/, null],
      [{ models: ['mock/echo'], colour: 'red' }, /colour/, null],
      [{ models: 'mock/echo' }, /models/, 'models'],
      [{ budgets: [{ period: 'weekly', usd: 1 }] }, /budgets\.0\.period/, 'budgets.0.period'],
      [{ rateLimits: { requestsPerMinute: -1 } }, /rateLimits\.requestsPerMinute/, 'rateLimits.requestsPerMinute'],
      [{ pii: 'shout' }, /pii/, 'pii'],
      [{ expiresAt: 'soon' }, /expiresAt: must be a date-time/, 'expiresAt'],
      [{ tools: ['a\u0000b'] }, /NUL/, 'tools.0'],
      ['[1, 2]', /body/, null],
    ];
    for (const [body, message, param] of cases) {
      const r = await admin(gw, 'PATCH', `/keys/${id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.message).toMatch(message);
      expect(r.json.error.message).not.toMatch(/received Date/);
      expect(r.json.error.param).toBe(param);
    }
    expect((await admin(gw, 'GET', `/keys/${id}`)).json.policy).toMatchObject({ models: ['mock/*'], pii: 'redact' });
  });

  it('refuses a key declared in gateway.yaml (409) and an unknown key (404)', async () => {
    const cfg = await admin(gw, 'PATCH', '/keys/cfg-key', { models: ['*'] });
    expect(cfg.status).toBe(409);
    expect(cfg.json.error.message).toMatch(/declared in gateway\.yaml/);
    expect(await chat(gw, CONFIG_KEY, 'mock/other')).toBe(403); // the refused edit changed nothing
    expect((await admin(gw, 'PATCH', '/keys/cfg-key', { expiresAt: null })).status).toBe(409);
    const unknown = await admin(gw, 'PATCH', '/keys/key_nosuchkey', { models: ['*'] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/No key with id "key_nosuchkey"/);
  });

  it('refuses new rules for a revoked key (409)', async () => {
    const other = await admin(gw, 'POST', '/keys', { name: 'short-lived' });
    expect((await admin(gw, 'POST', `/keys/${other.json.record.id}/revoke`)).status).toBe(200);
    const r = await admin(gw, 'PATCH', `/keys/${other.json.record.id}`, { models: ['*'] });
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/revoked/);
  });

  it('lists the body’s fields in the OpenAPI document, from the same schema', async () => {
    const doc = (await admin(gw, 'GET', '/openapi.json')).json;
    expect(doc.paths['/admin/keys/{id}'].patch.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UpdateKey' });
    const body = doc.components.schemas.UpdateKey;
    expect(Object.keys(body.properties).sort()).toEqual(['budgets', 'expiresAt', 'mcpServers', 'models', 'pii', 'rateLimits', 'tools']);
    expect(body).toMatchObject({ additionalProperties: false, minProperties: 1 });
    expect(body.required).toBeUndefined();
    expect(body.properties.rateLimits.properties.requestsPerMinute).toMatchObject({ type: 'integer' });
  });
});

// Two replicas on one Postgres database and one Redis: an edit made through one binds calls on the other.
describe.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)('two replicas on Postgres and Redis', () => {
  const replicas: RunningGateway[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) replicas.push(await startTestGateway(config, { GATEWAY_ADMIN_KEY: ADMIN, REDIS_URL: process.env.REDIS_URL! }));
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
  });

  it('the other replica drops its cached rules when one replica changes them', async () => {
    const [a, b] = replicas as [RunningGateway, RunningGateway];
    const created = await admin(a, 'POST', '/keys', { name: 'replicated', models: ['mock/*'] });
    expect(created.status).toBe(201);
    expect(await chat(b, created.json.key, 'mock/other')).toBe(200); // b has the key cached (TTL 10 minutes)
    expect((await admin(a, 'PATCH', `/keys/${created.json.record.id}`, { models: ['mock/echo'] })).status).toBe(200);
    // The invalidation travels by Redis pub/sub: delivered asynchronously, so wait for it (well under the cache TTL).
    await expect.poll(() => chat(b, created.json.key, 'mock/other'), { timeout: 10_000, interval: 50 }).toBe(403);
    expect(await chat(b, created.json.key, 'mock/echo')).toBe(200);
    expect(await chat(a, created.json.key, 'mock/other')).toBe(403);
  });
});
