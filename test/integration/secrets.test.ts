// Provider keys never leave the gateway: upstreams that echo them (raw, case-changed, base64, partial, in error bodies and mid-stream) are scrubbed everywhere.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inArray } from 'drizzle-orm';
import OpenAI, { APIError } from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { auditEvents, auditPayloads, requestLog } from '../../src/storage/schema.js';
import { startFakeUpstream, type EchoKey, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { connect, textOf } from '../helpers/mcp.js';

const rand = (n: number): string => randomBytes(n).toString('base64url').slice(0, n);
const KEYS = {
  oa: `sk-proj-${rand(40)}`,
  az: randomBytes(16).toString('hex'), // Azure keys: 32 hex digits, no recognisable prefix
  compatA: rand(28), // a key pool: either key may be the one echoed
  compatB: rand(28),
  claude: `sk-ant-api03-${rand(60)}`,
  gem: `AIza${rand(35)}`,
  mcp: rand(32), // an upstream MCP server's token, sent as a configured header
  reloaded: rand(30), // a key that only arrives by config reload
};
const ALL_KEYS = Object.values(KEYS);
const WINDOW = 12;

const TARGETS = [
  { kind: 'openai', model: 'oa/gpt-4o-mini' },
  { kind: 'azure-openai', model: 'az/gpt-4o-mini' },
  { kind: 'openai-compatible', model: 'compat/gpt-4o-mini' },
  { kind: 'anthropic', model: 'claude/claude-haiku-4-5' },
  { kind: 'gemini', model: 'gem/gemini-2.0-flash' },
] as const;
const ECHOES: EchoKey[] = ['raw', 'upper', 'base64', 'basic', 'prefix16'];

let fake: FakeUpstream;
/** An upstream MCP server that refuses every request and echoes the token it got (as is, upper-cased, base64). */
let leakyMcp: Server;
const leakyAuth: string[] = [];
let gw: RunningGateway;
let client: OpenAI;
const logLines: string[] = [];
/** Everything the client received, raw: status line data, headers and the full body (SSE frames included). */
const received: string[] = [];
const requestIds: string[] = [];

/** Tees every response the SDK gets, so the assertions see the bytes, not just what the SDK chose to surface. */
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const id = res.headers.get('x-request-id');
  if (id) requestIds.push(id);
  received.push(JSON.stringify([...res.headers]));
  void res
    .clone()
    .text()
    .then((t) => received.push(t));
  return res;
};

beforeAll(async () => {
  fake = await startFakeUpstream();
  leakyMcp = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    leakyAuth.push(auth);
    const token = auth.replace(/^Bearer /, '');
    res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid token=${token} (${token.toUpperCase()}, ${b64(token)})`);
  });
  await new Promise<void>((r) => leakyMcp.listen(0, '127.0.0.1', r));
  const mcpUrl = `http://127.0.0.1:${(leakyMcp.address() as AddressInfo).port}/mcp`;
  const config = parseConfig(
    {
      logLevel: 'trace',
      server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 5_000 },
      storage: { dataDir: 'memory://' },
      requestLog: { flushIntervalMs: 50, maxBatch: 100, maxQueue: 10_000 },
      providers: {
        oa: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEYS.oa },
        az: { kind: 'azure-openai', baseUrl: fake.url, apiKey: KEYS.az },
        compat: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKeys: [KEYS.compatA, KEYS.compatB] },
        claude: { kind: 'anthropic', baseUrl: fake.url, apiKey: KEYS.claude },
        gem: { kind: 'gemini', baseUrl: `${fake.url}/v1beta`, apiKey: KEYS.gem },
      },
      mcpServers: { leaky: { type: 'http', url: mcpUrl, headers: { Authorization: `Bearer ${KEYS.mcp}` } } },
    },
    { DATABASE_URL: process.env.DATABASE_URL ?? '' },
  );
  // The gateway's own logger at its most verbose, into memory, so the test can read every line it wrote.
  const log = pino({ level: 'trace', base: undefined }, { write: (line: string) => void logLines.push(line) });
  gw = await startGateway(await createDeps(config, { log }));
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0, fetch: recordingFetch });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  await new Promise((r) => leakyMcp?.close(r));
});
beforeEach(() => fake.reset());

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Names of the key forms found in `text`: the key in any case, its base64 forms, or any 12-character run of it. */
function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  const found: string[] = [];
  for (const key of ALL_KEYS) {
    for (let i = 0; i + WINDOW <= key.length; i++) {
      if (lower.includes(key.slice(i, i + WINDOW).toLowerCase())) found.push(`fragment of ${key.slice(0, 4)}… at ${i}`);
    }
    // The base64 of `user:key` past the user part: characters computed from the key alone.
    for (const enc of [b64(key), b64(key.toUpperCase()), Buffer.from(key).toString('base64url'), b64(`user:${key}`).slice(8, -4)]) {
      for (let i = 0; i + WINDOW <= enc.length; i++) if (text.includes(enc.slice(i, i + WINDOW))) found.push(`base64 of ${key.slice(0, 4)}…`);
    }
  }
  return [...new Set(found)];
}

async function failure(run: () => Promise<unknown>): Promise<APIError> {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

const messages = [{ role: 'user' as const, content: 'hi' }];

/** The fake really sent the key back: without this, a scrubber that did nothing could pass. */
function expectEchoed(): void {
  const headers = fake.requests.at(-1)?.headers ?? {};
  expect(ALL_KEYS.some((k) => Object.values(headers).some((v) => v.includes(k)))).toBe(true);
}

describe('the fake upstream echoes keys (the fault modes these tests rely on)', () => {
  it.each(ECHOES)('echo %s in an error body', async (echoKey) => {
    fake.fault({ status: 400, echoKey });
    const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.oa}` }, body: '{}' });
    expect(res.status).toBe(400);
    expect(leaks(await res.text()).length).toBeGreaterThan(0);
  });

  it.each(TARGETS.map((t) => t.kind))('a mid-stream error frame in the %s format carries the key', async (kind) => {
    const path = { openai: '/v1/chat/completions', 'azure-openai': '/openai/deployments/d/chat/completions', 'openai-compatible': '/v1/chat/completions', anthropic: '/v1/messages', gemini: '/v1beta/models/g:streamGenerateContent?alt=sse' }[kind];
    const headers = { 'x-api-key': KEYS.claude, 'anthropic-version': '2023-06-01', 'x-goog-api-key': KEYS.claude, 'content-type': 'application/json' };
    fake.fault({ streamErrorAt: 1, echoKey: 'raw' });
    const body = JSON.stringify({ model: 'm', max_tokens: 5, stream: true, messages, contents: [{ parts: [{ text: 'hi' }] }] });
    const text = await (await fetch(`${fake.url}${path}`, { method: 'POST', headers, body })).text();
    expect(text).toContain(KEYS.claude);
    expect(text).toMatch(kind === 'anthropic' ? /event: error\n/ : /data: \{"error":/);
  });
});

describe.each(TARGETS)('$kind: an upstream that echoes its key', ({ model }) => {
  it.each(ECHOES)('non-stream error body, echo %s', async (echoKey) => {
    fake.fault({ status: 400, echoKey });
    const e = await failure(() => client.chat.completions.create({ model, messages }));
    expectEchoed();
    expect(e.status).toBe(400);
    expect(e.message).toContain('[REDACTED]');
    expect(leaks(`${e.message} ${JSON.stringify(e.error)} ${JSON.stringify([...(e.headers ?? [])])}`)).toEqual([]);
  });

  it.each(ECHOES)('stream refused before the first chunk, echo %s', async (echoKey) => {
    fake.fault({ status: 400, echoKey });
    const e = await failure(() => client.chat.completions.create({ model, messages, stream: true }));
    expectEchoed();
    expect(e.message).toContain('[REDACTED]');
    expect(leaks(`${e.message} ${JSON.stringify(e.error)}`)).toEqual([]);
  });

  it.each(ECHOES)('mid-stream error frame, echo %s', async (echoKey) => {
    fake.fault({ streamErrorAt: 1, echoKey });
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    const chunks: unknown[] = [];
    const e = await failure(async () => {
      for await (const c of stream) chunks.push(c);
    });
    expectEchoed();
    expect(chunks.length).toBeGreaterThan(0); // the error came after the stream was committed
    expect(e.message).toContain('[REDACTED]');
    expect(leaks(`${e.message} ${JSON.stringify(e.error)} ${JSON.stringify(chunks)}`)).toEqual([]);
  });
});

describe('an upstream MCP server that echoes its credentials', () => {
  it('tool errors and list metadata carry the failure, not the token', async () => {
    const mcp = await connect(`${gw.url}/mcp`, { key: null });
    try {
      const listed = await mcp.listTools();
      const result = await mcp.callTool({ name: 'leaky__anything', arguments: {} });
      expect(leakyAuth.some((a) => a.includes(KEYS.mcp))).toBe(true);
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toContain('leaky');
      expect(text).toContain('[REDACTED]');
      received.push(text, JSON.stringify(listed));
      expect(leaks(`${text} ${JSON.stringify(listed)}`)).toEqual([]);
      expect(JSON.stringify(gw.deps.hub.health())).not.toContain(KEYS.mcp.slice(4, 20));
    } finally {
      await mcp.close();
    }
  });
});

describe('config reload', () => {
  it('rebuilds the scrubber with the new keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-secrets-'));
    try {
      const path = join(dir, 'gateway.yaml');
      writeFileSync(path, `providers:\n  fresh:\n    kind: openai\n    baseUrl: ${fake.url}/v1\n    apiKey: ${KEYS.reloaded}\n`);
      expect(gw.reloadConfig(path)).toEqual({ ok: true });
      fake.fault({ status: 400, echoKey: 'upper' });
      const e = await failure(() => client.chat.completions.create({ model: 'fresh/gpt-4o-mini', messages }));
      expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEYS.reloaded}`);
      expect(e.message).toContain('[REDACTED]');
      expect(leaks(`${e.message} ${JSON.stringify(e.error)}`)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nothing else holds a key either', () => {
  it('no raw response, log line, request-log row or audit event contains any form of a key', async () => {
    expect(requestIds.length).toBeGreaterThanOrEqual(TARGETS.length * ECHOES.length * 3);
    await new Promise((r) => setTimeout(r, 50)); // let the teed bodies finish reading
    expect(leaks(received.join('\n'))).toEqual([]);
    expect(received.join('\n')).toContain('[REDACTED]');

    const deps = gw.deps;
    await deps.requestLog.flush();
    await deps.audit.flush();
    const rows = await deps.database.db.select().from(requestLog).where(inArray(requestLog.requestId, requestIds));
    expect(rows.length).toBeGreaterThanOrEqual(requestIds.length);
    const events = await deps.database.db.select().from(auditEvents).where(inArray(auditEvents.requestId, requestIds));
    expect(events.length).toBeGreaterThan(0);
    const payloadIds = events.map((e) => e.payloadId).filter((id): id is string => !!id);
    const payloads = payloadIds.length ? await deps.database.db.select().from(auditPayloads).where(inArray(auditPayloads.id, payloadIds)) : [];
    expect(leaks(JSON.stringify(rows))).toEqual([]);
    expect(leaks(JSON.stringify(events))).toEqual([]);
    expect(leaks(JSON.stringify(payloads))).toEqual([]);

    expect(logLines.length).toBeGreaterThan(0);
    expect(leaks(logLines.join('\n'))).toEqual([]);
  });
});
