// /admin/health against a real gateway: a breaker opened by injected upstream failures, MCP upstreams (ready, dead, a failed call) and the writers.
import { createServer } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, stdioFixture, TEST_KEY, until } from '../helpers/mcp.js';

const ADMIN = 'admin-key-health-0123456789abcdef';
let up: FakeUpstream;
let gw: RunningGateway;
let mcp: Client;

type Json = any; // response bodies, checked field by field below

async function health(): Promise<Json> {
  const res = await fetch(`${gw.url}/admin/health`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return res.json();
}

async function chat(model: string): Promise<number> {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  return client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] }).then(
    () => 200,
    (e: unknown) => {
      if (e instanceof APIError && e.status !== undefined) return e.status;
      throw e;
    },
  );
}

/** A port nothing listens on: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startTestGateway(
    {
      keys: KEYS,
      providers: { up: { kind: 'openai-compatible', baseUrl: `${up.url}/v1`, apiKey: 'up-key' }, spare: { kind: 'mock' } },
      // Three failures in a row open a breaker, and it stays open for the test (no probes: active checks are off by default).
      routing: { breaker: { consecutiveFailures: 3, cooldownMs: 600_000 } },
      models: { pair: { strategy: 'fallback', targets: [{ model: 'up/flaky' }, { model: 'up/good' }], retry: { attempts: 0 } } },
      mcp: { reconnectBaseMs: 50, reconnectMaxMs: 500 },
      mcpServers: {
        crashy: stdioFixture(),
        dead: { type: 'http', url: `http://127.0.0.1:${await closedPort()}/mcp`, timeouts: { connectMs: 500 } },
      },
    },
    { GATEWAY_ADMIN_KEY: ADMIN },
  );
  mcp = await connect(`${gw.url}/mcp`);
});
afterAll(async () => {
  await mcp?.close();
  await gw?.stop();
  await up?.close();
});

describe('providers', () => {
  it('shows a breaker opened by injected upstream failures, beside a healthy target', async () => {
    expect(await chat('up/good')).toBe(200);
    expect(await chat('up/good')).toBe(200);
    for (let i = 0; i < 3; i++) up.fault({ path: '/chat/completions', status: 503 });
    for (let i = 0; i < 3; i++) expect(await chat('up/flaky')).toBeGreaterThanOrEqual(500);
    // The open breaker is real: an alias that lists the flaky target first now goes straight to the good one.
    const seen = up.requests.length;
    expect(await chat('pair')).toBe(200);
    expect(up.requests.slice(seen).map((r) => (r.body as { model: string }).model)).toEqual(['good']);

    const h = await health();
    const provider = h.providers.find((p: Json) => p.id === 'up');
    expect(provider).toMatchObject({ kind: 'openai-compatible', moreTargets: 0 });
    expect(provider.targets.map((t: Json) => t.model)).toEqual(['flaky', 'good']); // open breakers first
    const [flaky, good] = provider.targets;
    expect(flaky).toMatchObject({ breaker: 'open', breakerReason: '3 failures in a row', latencyP50Ms: null });
    expect(flaky.errorRate).toBeGreaterThan(0.4);
    expect(flaky.errorRate).toBeLessThanOrEqual(1);
    expect(good).toMatchObject({ breaker: 'closed', breakerReason: null, errorRate: 0 });
    expect(Number.isInteger(good.latencyP50Ms)).toBe(true);
    // A provider nobody called is listed, without targets.
    expect(h.providers.find((p: Json) => p.id === 'spare')).toEqual({ id: 'spare', kind: 'mock', targets: [], moreTargets: 0 });
  });
});

describe('MCP upstreams', () => {
  it('shows a ready server with its tools, a dead one as open, and recent call outcomes', async () => {
    const listed = (await mcp.listTools()).tools.filter((t) => t.name.startsWith('crashy__')).length;
    expect(listed).toBeGreaterThan(5);
    expect((await mcp.callTool({ name: 'crashy__echo', arguments: { text: 'hi' } })).isError).toBeFalsy();
    expect((await mcp.callTool({ name: 'crashy__die' })).isError).toBe(true); // the process exits mid-call: an upstream failure
    await gw.deps.requestLog.flush();

    const h = await until(async () => {
      const r = await health();
      const byId = Object.fromEntries(r.mcpServers.map((s: Json) => [s.id, s]));
      return byId.crashy.status === 'ready' && byId.crashy.tools !== null && byId.dead.status === 'down' ? r : null;
    }, 'crashy back and dead down');
    const [crashy, dead] = h.mcpServers;
    expect(crashy).toMatchObject({ id: 'crashy', transport: 'stdio', status: 'ready', breaker: 'closed', error: null, tools: listed, calls: 2, errorRate: 0.5 });
    expect(Number.isInteger(crashy.latencyP50Ms)).toBe(true);
    expect(dead).toMatchObject({ id: 'dead', transport: 'http', status: 'down', breaker: 'open', tools: null, calls: 0, errorRate: null, latencyP50Ms: null });
    expect(dead.error).toEqual(expect.any(String));
    expect(h.mcpWindowSeconds).toBe(900);
  });
});

describe('writers', () => {
  it('reports the request log, audit and spend writers', async () => {
    await gw.deps.requestLog.flush();
    const { writers } = await health();
    for (const w of [writers.requestLog, writers.audit, writers.budgetSpend]) {
      expect(Object.keys(w).sort()).toEqual(['accepting', 'deadLettered', 'dropped', 'enabled', 'failures', 'lastFlushMs', 'queued', 'queuedBytes', 'spoolBytes', 'spooled']);
    }
    expect(writers.requestLog).toMatchObject({ enabled: true, accepting: true, queued: 0, spooled: 0, dropped: 0, deadLettered: 0 });
    expect(writers.audit.enabled).toBe(gw.deps.audit.stats().enabled);
    expect(writers.budgetSpend.enabled).toBe(true);
  });
});
