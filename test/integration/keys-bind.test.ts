// Keys bind as soon as they exist: an open gateway closes when its first key appears (admin API, local service, another process), and stays closed.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeysService, FIRST_KEY_WARNING, type KeysService } from '../../src/admin/keys-service.js';
import { KEY_INVALIDATION_CHANNEL } from '../../src/policy/key-store.js';
import type { RunningGateway } from '../../src/server.js';
import { openDatabase, type Database } from '../../src/storage/db.js';
import { openRedis, type SharedRedis } from '../../src/storage/redis.js';
import { createRepo } from '../../src/storage/repo.js';
import { createLogger } from '../../src/log.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-keys-bind-0123456789';
const providers = { mock: { kind: 'mock', models: ['echo'] }, other: { kind: 'mock', models: ['echo'] } };

async function chat(gw: RunningGateway, key: string | null, model = 'mock/echo'): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  await res.body?.cancel();
  return res.status;
}

async function mode(gw: RunningGateway): Promise<unknown> {
  return ((await (await fetch(`${gw.url}/readyz`)).json()) as { auth: unknown }).auth;
}

/** Another process on the same database: the CLI on Postgres, or a second replica's admin service. */
interface Other {
  svc: KeysService;
  close(): Promise<void>;
}

type Backend = { name: string; start(): Promise<{ gw: RunningGateway; other: Other }>; cleanup(): Promise<void> };

const pglite: Backend = {
  name: 'pglite',
  // PGlite in memory is private to the gateway: write through its repo but without its key store's invalidation.
  async start() {
    const gw = await startTestGateway({ providers, storage: { dataDir: 'memory://' }, auth: { keyCacheTtlMs: 100 } });
    return { gw, other: { svc: createKeysService(gw.deps.repo, async () => {}), close: async () => {} } };
  },
  cleanup: async () => {},
};

/** A database of its own on the Postgres server: the shared `test` one may already hold other tests' keys. */
function postgresBackend(url: string): Backend {
  const name = `keys_bind_${process.pid}_${Date.now()}`;
  const target = new URL(url);
  target.pathname = `/${name}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  return {
    name: process.env.REDIS_URL ? 'postgres+redis' : 'postgres',
    async start() {
      await admin.unsafe(`create database "${name}"`);
      const env: Record<string, string> = { DATABASE_URL: target.href, ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) };
      const gw = await startTestGateway({ providers, storage: { dataDir: 'memory://' }, auth: { keyCacheTtlMs: 100 } }, env);
      const db: Database = await openDatabase({ databaseUrl: target.href, dataDir: 'memory://' });
      const redis: SharedRedis | null = await openRedis(process.env.REDIS_URL, createLogger('silent'));
      const invalidate = async (hash: string) => void (await redis?.client.publish(KEY_INVALIDATION_CHANNEL, hash));
      return {
        gw,
        other: {
          svc: createKeysService(createRepo(db.db), invalidate),
          close: async () => {
            await redis?.close();
            await db.close();
          },
        },
      };
    },
    async cleanup() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

const backends: Backend[] = [pglite];
if (process.env.DATABASE_URL) backends.push(postgresBackend(process.env.DATABASE_URL));

describe.each(backends)('$name: a key created outside the gateway', (backend) => {
  let gw: RunningGateway;
  let other: Other;
  beforeAll(async () => ({ gw, other } = await backend.start()));
  afterAll(async () => {
    await other?.close();
    await gw?.stop();
    await backend.cleanup();
  });

  it('is open while no key exists', async () => {
    expect(await mode(gw)).toBe('open');
    expect(await chat(gw, null)).toBe(200);
    expect(await chat(gw, 'sk-gw-bogus')).toBe(200); // open: the header is not even read
  });

  let narrow = '';
  it('closes within the cache TTL once another process creates the first key, and the key binds', async () => {
    const created = await other.svc.createKey({ name: 'first', models: ['mock/*'] });
    expect(created.warning).toBe(FIRST_KEY_WARNING);
    narrow = created.key;
    await expect.poll(() => chat(gw, null), { timeout: 15_000, interval: 50 }).toBe(401);
    expect(await mode(gw)).toBe('keys');
    expect(await chat(gw, 'sk-gw-bogus')).toBe(401);
    expect(await chat(gw, narrow)).toBe(200);
    expect(await chat(gw, narrow, 'other/echo')).toBe(403);
    const mcp = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    await mcp.body?.cancel();
    expect(mcp.status).toBe(401);
  });

  it('says nothing on the second key', async () => {
    const second = await other.svc.createKey({ name: 'second' });
    expect(second.warning).toBeUndefined();
    expect(await chat(gw, second.key, 'other/echo')).toBe(200);
  });

  it('stays closed when every key is revoked', async () => {
    for (const k of await other.svc.listKeys()) await other.svc.revokeKey(k.id);
    gw.deps.keys.drop('*'); // as if an invalidation arrived: the mode is read again
    expect(await chat(gw, null)).toBe(401);
    expect(await chat(gw, narrow)).toBe(401);
    expect(await mode(gw)).toBe('keys');
  });
});

describe('the gateway’s own admin service', () => {
  let gw: RunningGateway;
  // A long TTL: only the local invalidation can close the gateway at once.
  beforeAll(async () => (gw = await startTestGateway({ providers, storage: { dataDir: 'memory://' }, auth: { keyCacheTtlMs: 600_000 } })));
  afterAll(async () => gw?.stop());

  it('closes the gateway at once when it creates the first key', async () => {
    expect(await chat(gw, null)).toBe(200);
    const created = await gw.deps.admin.createKey({ name: 'first', models: ['mock/*'] });
    expect(created.warning).toBe(FIRST_KEY_WARNING);
    expect(await chat(gw, null)).toBe(401);
    expect(await chat(gw, created.key)).toBe(200);
    expect(await chat(gw, created.key, 'other/echo')).toBe(403);
  });
});

describe('the admin API', () => {
  let gw: RunningGateway;
  beforeAll(async () => (gw = await startTestGateway({ providers, storage: { dataDir: 'memory://' } }, { GATEWAY_ADMIN_KEY: ADMIN })));
  afterAll(async () => gw?.stop());

  const create = async (body: unknown) => {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { key: string; warning?: string } };
  };

  it('is closed by the admin key alone, and warns when the first key is created', async () => {
    expect(await mode(gw)).toBe('keys');
    expect(await chat(gw, null)).toBe(401);
    const first = await create({ name: 'first', models: ['mock/*'] });
    expect(first.status).toBe(201);
    expect(first.json.warning).toBe(FIRST_KEY_WARNING);
    expect(await chat(gw, first.json.key)).toBe(200);
    expect(await chat(gw, first.json.key, 'other/echo')).toBe(403);
    expect(await chat(gw, 'sk-gw-bogus')).toBe(401);
    const second = await create({ name: 'second' });
    expect(second.status).toBe(201);
    expect(second.json.warning).toBeUndefined();
  });
});
