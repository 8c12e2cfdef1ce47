// Failed admin-key attempts throttled per client address: /admin and the console's login, in-process and through Redis
// (REDIS_URL), the lockout refusing even the right key, other addresses untouched, the window's end, 0 = off, Redis down.
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { addressBucket } from '../../src/admin/auth-attempt.js';
import { createAdminThrottle } from '../../src/admin/auth-throttle.js';
import { createApp, createMcpSessionsFor, type AppParts } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import type { AppEnv } from '../../src/http/context.js';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { hasRedisServer, throwawayRedis } from '../helpers/throwaway-redis.js';

const ADMIN = 'admin-key-throttle-0123456789abcdef';
const WRONG = 'admin-key-throttle-WRONG-456789abcd';
const ORIGIN = 'http://localhost';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN };
const REDIS_URL = process.env.REDIS_URL;

interface Built {
  deps: Deps;
  app: Hono<AppEnv>;
  parts: AppParts;
  logs: Array<Record<string, unknown>>;
}

async function build(env: Record<string, string> = {}): Promise<Built> {
  const logs: Array<Record<string, unknown>> = [];
  const config = parseConfig(
    {
      logLevel: 'warn',
      providers: { mock: { kind: 'mock', models: ['echo'] } },
      storage: { dataDir: 'memory://' },
      auth: { adminKey: ADMIN },
      telemetry: { metrics: { processMetrics: false } },
    },
    { DATABASE_URL: '', ...env },
  );
  const log = pino({ level: 'warn', base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const deps = await createDeps(config, { log });
  const parts = { mcp: createMcpSessionsFor(deps) };
  return { deps, app: createApp(deps, parts), parts, logs };
}

async function close(b: Built | undefined): Promise<void> {
  await b?.parts.mcp.close();
  await b?.deps.close();
}

/** What @hono/node-server passes as the env: the request's socket (getConnInfo reads its remote address). */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

let seq = 0;
/** A fresh documentation-range address per test: counts never leak between tests. */
const nextAddress = () => `198.51.100.${++seq}`;

function adminGet(b: Built, key: string | null, address?: string): Promise<Response> {
  const init = key === null ? {} : { headers: { authorization: `Bearer ${key}` } };
  return Promise.resolve(address === undefined ? b.app.request('/admin/teams', init) : b.app.request('/admin/teams', init, from(address)));
}

function login(b: Built, key: string, address: string): Promise<Response> {
  return Promise.resolve(b.app.request('/ui/login', { method: 'POST', headers: FORM, body: new URLSearchParams({ key, next: '/ui/keys' }).toString() }, from(address)));
}

async function fail(b: Built, address: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await adminGet(b, WRONG, address);
    expect(res.status, `wrong key #${i + 1}`).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  }
}

async function expectThrottled(res: Response): Promise<number> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${res.headers.get('retry-after')}`).toBe(true);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error', param: null });
  expect(JSON.stringify(body)).not.toContain(ADMIN);
  return retryAfter;
}

const modes = ['in-process', ...(REDIS_URL ? ['redis'] : [])] as const;

describe.each(modes)('admin auth throttle (%s)', (mode) => {
  let b: Built;
  /** Each test counts under its own Redis key prefix (and its own addresses): nothing is shared between tests or runs. */
  const freshThrottle = (target: Built, prefix = `test:${randomUUID()}:`) => {
    target.deps.adminThrottle = createAdminThrottle({ redis: mode === 'redis' ? target.deps.redis!.policyClient() : undefined, keyPrefix: prefix, log: target.deps.log });
    return prefix;
  };

  beforeAll(async () => {
    b = await build(mode === 'redis' ? { REDIS_URL: REDIS_URL! } : {});
    if (mode === 'redis') expect(b.deps.redis).not.toBeNull();
  });
  afterAll(() => close(b));
  let prefix = '';
  beforeEach(() => {
    prefix = freshThrottle(b);
    b.logs.length = 0;
  });

  it('10 wrong keys, then the right key gets 429 with retry-after; another address is unaffected', async () => {
    const attacker = nextAddress();
    const admin = nextAddress();
    await fail(b, attacker, 10);
    await expectThrottled(await adminGet(b, ADMIN, attacker));
    await expectThrottled(await adminGet(b, WRONG, attacker));
    await expectThrottled(await adminGet(b, null, attacker));
    // Another address: the right key works, a wrong one is an ordinary 401; in-process calls (no socket) too.
    expect((await adminGet(b, ADMIN, admin)).status).toBe(200);
    expect((await adminGet(b, WRONG, admin)).status).toBe(401);
    expect((await adminGet(b, ADMIN)).status).toBe(200);
    // That success reset nothing for the attacker.
    await expectThrottled(await adminGet(b, ADMIN, attacker));
  });

  it('counts exactly 10: the 10th failure still gets 401, and a success from the same address does not reset the count', async () => {
    const address = nextAddress();
    await fail(b, address, 9);
    expect((await adminGet(b, ADMIN, address)).status).toBe(200);
    await fail(b, address, 1);
    await expectThrottled(await adminGet(b, ADMIN, address));
  });

  it('does not count requests without a key', async () => {
    const address = nextAddress();
    for (let i = 0; i < 15; i++) expect((await adminGet(b, null, address)).status).toBe(401);
    expect((await adminGet(b, ADMIN, address)).status).toBe(200);
  });

  it('counts a parallel burst of wrong keys atomically: past the limit they are refused, and so is the right key', async () => {
    const address = nextAddress();
    const statuses = await Promise.all(Array.from({ length: 30 }, () => adminGet(b, WRONG, address).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    await expectThrottled(await adminGet(b, ADMIN, address));
  });

  it('throttles the console login: wrong keys, then a 429 page even for the right key, shared with /admin', async () => {
    const address = nextAddress();
    for (let i = 0; i < 10; i++) {
      const res = await login(b, WRONG, address);
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('That is not the admin key.');
    }
    const res = await login(b, ADMIN, address);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('set-cookie')).toBeNull();
    const page = await res.text();
    expect(page).toContain('Too many failed attempts from your address');
    expect(page).toContain('<form method="post" action="/ui/login"');
    expect(page).not.toContain(ADMIN);
    await expectThrottled(await adminGet(b, ADMIN, address));
    // Another address logs in.
    const ok = await login(b, ADMIN, nextAddress());
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toContain('gw_ui_session=');
  });

  it('counts /admin failures against the console login of the same address', async () => {
    const address = nextAddress();
    await fail(b, address, 10);
    expect((await login(b, ADMIN, address)).status).toBe(429);
  });

  it('logs each failed and refused attempt with the address and path, never the key, and counts them', async () => {
    const counted = async (outcome: string) => {
      const m = new RegExp(`gateway_admin_auth_failures_total\\{surface="api",outcome="${outcome}"\\} (\\d+)`).exec(await b.deps.metrics.render());
      return m ? Number(m[1]) : 0;
    };
    const [wrongBefore, refusedBefore] = [await counted('wrong'), await counted('refused')];
    const address = nextAddress();
    await fail(b, address, 10);
    await adminGet(b, ADMIN, address);
    const mine = b.logs.filter((l) => l.address === address);
    expect(mine.filter((l) => l.msg === 'admin auth: wrong admin key')).toHaveLength(10);
    expect(mine.filter((l) => String(l.msg).startsWith('admin auth: refused'))).toHaveLength(1);
    for (const l of mine) expect(l).toMatchObject({ level: 40, path: '/admin/teams', surface: 'api' });
    expect(JSON.stringify(b.logs)).not.toContain(WRONG);
    expect(JSON.stringify(b.logs)).not.toContain(ADMIN);
    expect(await b.deps.metrics.render()).toMatch(/gateway_policy_denials_total\{door="admin",code="rate_limit_exceeded",rule="auth:admin-throttle"\} [1-9]/);
    expect(await counted('wrong')).toBe(wrongBefore + 10);
    expect(await counted('refused')).toBe(refusedBefore + 1);
  });

  it('treats a huge key as one wrong key (counted, not an error)', async () => {
    const address = nextAddress();
    const huge = 'k'.repeat(200_000);
    for (let i = 0; i < 10; i++) expect((await b.app.request('/admin/teams', { headers: { 'x-api-key': huge } }, from(address))).status).toBe(401);
    expect((await login(b, huge, nextAddress())).status).toBe(401);
    await expectThrottled(await adminGet(b, ADMIN, address));
  });

  it('maxFailures: 0 turns the throttle off', async () => {
    const settings = b.deps.runtime.config.auth.adminThrottle;
    settings.maxFailures = 0;
    try {
      const address = nextAddress();
      await fail(b, address, 25);
      expect((await adminGet(b, ADMIN, address)).status).toBe(200);
      for (let i = 0; i < 12; i++) expect((await login(b, WRONG, address)).status).toBe(401);
      expect((await login(b, ADMIN, address)).status).toBe(303);
    } finally {
      settings.maxFailures = 10;
    }
  });

  it('lets the right key in again once the window ends', async () => {
    const address = nextAddress();
    if (mode === 'in-process') {
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        await fail(b, address, 10);
        const retryAfter = await expectThrottled(await adminGet(b, ADMIN, address));
        vi.setSystemTime(Date.now() + (retryAfter - 1) * 1000);
        await expectThrottled(await adminGet(b, ADMIN, address));
        vi.setSystemTime(Date.now() + 1_500);
        expect((await adminGet(b, ADMIN, address)).status).toBe(200);
        expect((await login(b, ADMIN, address)).status).toBe(303);
      } finally {
        vi.useRealTimers();
      }
      return;
    }
    // Redis keeps the window (its key's TTL): a 1-second window, then wait for Redis to end it.
    const settings = b.deps.runtime.config.auth.adminThrottle;
    settings.windowSeconds = 1;
    try {
      await fail(b, address, 10);
      await expectThrottled(await adminGet(b, ADMIN, address));
      const ttl = await b.deps.redis!.client.pttl(`${prefix}authfail:${address}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      let status = 429;
      for (const deadline = Date.now() + 10_000; status === 429 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await adminGet(b, ADMIN, address)).status;
      }
      expect(status).toBe(200);
    } finally {
      settings.windowSeconds = 60;
    }
  });

  it.runIf(mode === 'redis')('shares the count across replicas: failures on one, refusal on the other', async () => {
    const other = await build({ REDIS_URL: REDIS_URL! });
    try {
      freshThrottle(other, prefix);
      const address = nextAddress();
      await fail(b, address, 6);
      for (let i = 0; i < 4; i++) expect((await adminGet(other, WRONG, address)).status).toBe(401);
      await expectThrottled(await adminGet(other, ADMIN, address));
      expect((await login(other, ADMIN, address)).status).toBe(429);
      expect((await adminGet(other, ADMIN, nextAddress())).status).toBe(200);
    } finally {
      await close(other);
    }
  });
});

describe('client addresses', () => {
  it('counts IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(addressBucket('203.0.113.9')).toBe('203.0.113.9');
    expect(addressBucket('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressBucket(undefined)).toBe('unknown');
    expect(addressBucket('not an address')).toBe('unknown');
  });

  it('one IPv6 /64 is one bucket; X-Forwarded-For is not trusted', async () => {
    const b = await build();
    try {
      for (let i = 0; i < 10; i++) {
        expect((await b.app.request('/admin/teams', { headers: { authorization: `Bearer ${WRONG}` } }, from(`2001:db8:5:6::${i + 1}`))).status).toBe(401);
      }
      expect((await adminGet(b, ADMIN, '2001:db8:5:6:ffff::9')).status).toBe(429);
      // A forged X-Forwarded-For does not move the attacker to another bucket.
      const forged = await b.app.request('/admin/teams', { headers: { authorization: `Bearer ${ADMIN}`, 'x-forwarded-for': '192.0.2.77' } }, from('2001:db8:5:6::1'));
      expect(forged.status).toBe(429);
      expect((await adminGet(b, ADMIN, '2001:db8:5:7::1')).status).toBe(200);
    } finally {
      await close(b);
    }
  });

  it('behind a trusted proxy, counts each forwarded client apart; a client-written X-Forwarded-For moves nobody', async () => {
    const b = await build();
    b.deps.runtime.config.server.trustedProxies = ['203.0.113.0/24'];
    try {
      const via = (key: string, xff: string) => b.app.request('/admin/teams', { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': xff } }, from('203.0.113.10'));
      // The attacker writes its own X-Forwarded-For; the proxy appends the address it saw (192.0.2.66).
      for (let i = 0; i < 10; i++) expect((await via(WRONG, `192.0.2.${100 + i}, 192.0.2.66`)).status).toBe(401);
      expect((await via(ADMIN, '192.0.2.200, 192.0.2.66')).status).toBe(429);
      // Another client behind the same proxy, and the proxy itself, are not locked out.
      expect((await via(ADMIN, '192.0.2.67')).status).toBe(200);
      expect((await adminGet(b, ADMIN, '203.0.113.10')).status).toBe(200);
      // From a peer that is not a trusted proxy, the header is ignored: the attacker cannot borrow another's bucket.
      expect((await b.app.request('/admin/teams', { headers: { authorization: `Bearer ${ADMIN}`, 'x-forwarded-for': '192.0.2.67' } }, from('192.0.2.66'))).status).toBe(429);
    } finally {
      await close(b);
    }
  });
});

describe('Redis unavailable', () => {
  let b: Built;
  let down: Redis;
  beforeAll(async () => {
    b = await build();
    // A client that never connected: every command is refused at once (rejectIfRedisNotReady), as during an outage.
    down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    down.disconnect();
    await close(b);
  });
  afterEach(() => {
    b.logs.length = 0;
  });

  it('counts on this replica with maxFailures / replicas: no lockout of admins, no unlimited guessing', async () => {
    b.deps.adminThrottle = createAdminThrottle({ redis: down, replicas: 2, keyPrefix: `test:${randomUUID()}:`, log: b.deps.log });
    const address = nextAddress();
    expect((await adminGet(b, ADMIN, address)).status).toBe(200);
    await fail(b, address, 5);
    await expectThrottled(await adminGet(b, ADMIN, address));
    expect((await adminGet(b, ADMIN, nextAddress())).status).toBe(200);
    expect(b.logs.filter((l) => l.msg === 'admin auth throttle: Redis unavailable; counting failures on this replica')).toHaveLength(1);
  });

  it.runIf(hasRedisServer)('keeps counting when Redis dies mid-window, and shares again once it is back', async () => {
    const server = await throwawayRedis();
    await server.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: 0, commandTimeout: 250, autoResendUnfulfilledCommands: false, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      await expect.poll(() => client.status, { timeout: 5_000 }).toBe('ready');
      b.deps.adminThrottle = createAdminThrottle({ redis: client, replicas: 2, keyPrefix: 'test:', log: b.deps.log });
      const address = nextAddress();
      await fail(b, address, 3);
      expect(await client.get(`test:authfail:${address}`)).toBe('3');
      await server.stop();
      // Redis gone: the admin still gets in; this replica counts alone, with its share (10 / 2) of the limit.
      expect((await adminGet(b, ADMIN, address)).status).toBe(200);
      await fail(b, address, 5);
      await expectThrottled(await adminGet(b, ADMIN, address));
      expect((await adminGet(b, ADMIN, nextAddress())).status).toBe(200);
      // Back (empty, no persistence): counted across replicas again, from zero.
      await server.start();
      await expect.poll(() => client.status, { timeout: 5_000 }).toBe('ready');
      const next = nextAddress();
      await fail(b, next, 10);
      expect(await client.get(`test:authfail:${next}`)).toBe('10');
      await expectThrottled(await adminGet(b, ADMIN, next));
      expect(b.logs.some((l) => l.msg === 'admin auth throttle: Redis unavailable; counting failures on this replica')).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});

describe('over a real socket', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    // The production default (the test helper raises it so test files cannot lock each other out).
    const auth = { adminThrottle: { maxFailures: 10, windowSeconds: 60 } };
    gw = await startTestGateway({ auth, providers: { mock: { kind: 'mock' } }, storage: { dataDir: 'memory://' } }, { GATEWAY_ADMIN_KEY: ADMIN });
    gw.deps.adminThrottle = createAdminThrottle({ keyPrefix: `test:${randomUUID()}:` });
  });
  afterAll(() => gw?.stop());

  it('counts by the peer address (127.0.0.1) and answers 429 in the API error shape; the OpenAPI document lists it', async () => {
    const get = (key: string) => fetch(`${gw.url}/admin/teams`, { headers: { authorization: `Bearer ${key}` } });
    const docRes = await fetch(`${gw.url}/admin/openapi.json`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(docRes.status).toBe(200);
    const doc = (await docRes.json()) as any;
    expect(doc.components.responses.AdminAuthThrottled.headers['retry-after']).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, op] of Object.entries(ops)) expect(op.responses['429'], `${method} ${path}`).toEqual({ $ref: '#/components/responses/AdminAuthThrottled' });
    }
    for (let i = 0; i < 10; i++) expect((await get(WRONG)).status).toBe(401);
    await expectThrottled(await get(ADMIN));
    // /metrics takes the admin key too once keys exist: the same lockout.
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(429);
  });
});
