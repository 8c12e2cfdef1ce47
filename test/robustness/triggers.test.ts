// Named regressions for each known attacker trigger of issue #10: none may cause a 5xx, a crash, leaked secrets or stalled writers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyEchoUpstream, type KeyEchoUpstream } from '../helpers/key-echo-upstream.js';
import { KEYS } from '../helpers/mcp.js';
import { deepText } from './arbitraries.js';
import { ADMIN_KEY, auth, chat, json, send, startRig, type Rig } from './harness.js';
import { assertAlive, assertRssBounded, assertWritersProgress, auditLogged, requestLogged, verifySession } from './invariants.js';

const PII_KEY = 'sk-gw-pii-redacting-key-0123456789';
const SECRETS = {
  openai: 'sk-proj-EchoedSecretOpenAI0123456789abcdef',
  compat: 'sk-EchoedSecretCompat0123456789abcdefgh',
  gemini: 'AIzaSyEchoedSecretGemini0123456789abcde',
  anthropic: 'sk-ant-api03-EchoedSecretAnthropic0123456789',
};
let rig: Rig;
let echo: KeyEchoUpstream;
const base = () => rig.gw.url;
const msg = (content: string) => [{ role: 'user', content }];

beforeAll(async () => {
  echo = await startKeyEchoUpstream();
  rig = await startRig(
    { keys: [...KEYS, { id: 'pii', key: PII_KEY, pii: 'redact' }] },
    {
      providers: {
        leaky: { kind: 'openai', baseUrl: `${echo.url}/v1`, apiKey: SECRETS.openai },
        leakycompat: { kind: 'openai-compatible', baseUrl: `${echo.url}/v1`, apiKey: SECRETS.compat },
        leakygemini: { kind: 'gemini', baseUrl: `${echo.url}/v1beta`, apiKey: SECRETS.gemini },
        leakyanthropic: { kind: 'anthropic', baseUrl: echo.url, apiKey: SECRETS.anthropic },
      },
    },
  );
});
afterAll(async () => {
  await rig?.stop();
  await echo?.close();
});

/** Sends a raw JSON text (escapes such as `\ud800` and `\u0000` exactly as an attacker writes them). */
const rawChat = (text: string, headers: Record<string, string> = {}) => chat(base(), text, headers);

describe('attacker triggers (issue #10)', () => {
  it('a. a lone surrogate in a message answers 200 and the writers keep progressing', async () => {
    const sid = `trig-a-${randomUUID()}`;
    const r = await rawChat('{"model":"mock/echo","messages":[{"role":"user","content":"x \\ud800"}]}', { 'x-session-id': sid });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    await assertWritersProgress(rig.gw);
    expect(await auditLogged(rig.gw, sid), 'the hostile call itself is in the audit trail').toBe(true);
    expect(await verifySession(base(), sid)).toMatchObject({ ok: true });
  });

  it('b. an extra field nested 3,000 levels (top level and inside a message) gives no 5xx; writers progress', async () => {
    const deep = deepText(3_000);
    const sid = `trig-b-${randomUUID()}`;
    const r = await rawChat(`{"model":"mock/echo","messages":[{"role":"user","content":"hi","extra":${deep}}],"extra":${deep}}`, { 'x-session-id': sid });
    expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
    const r2 = await rawChat(`{"model":"mock/echo","messages":[{"role":"user","content":"hi"}],"metadata":${deep}}`);
    expect(r2.status, r2.text.slice(0, 300)).toBeLessThan(500);
    await assertWritersProgress(rig.gw, (await auditLogged(rig.gw, sid)) ? [sid] : []);
  });

  it('c. model names holding \\u0000 or \\ud800 get a 4xx and the request log keeps progressing', async () => {
    for (const model of ['mock/echo\\u0000', 'mock/\\ud800', '\\u0000', '\\ud800/echo', 'fake/a\\u0000b']) {
      const r = await rawChat(`{"model":"${model}","messages":[{"role":"user","content":"hi"}]}`);
      expect([400, 404], `${model}: ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
    }
    await assertWritersProgress(rig.gw);
  });

  it('d. embeddings with dimensions 2147483648 (and other bad ints) get a 400; the process lives', async () => {
    for (const dims of ['2147483648', '1e308', '-1', '1.5', '"4"']) {
      const r = await send(base(), '/v1/embeddings', { method: 'POST', headers: { ...json, ...auth() }, body: `{"model":"mock/echo","input":"x","dimensions":${dims}}` });
      expect(r.status, `dimensions ${dims}: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.text).toContain('"error"');
    }
    await assertAlive(base());
  });

  it('e. PII redaction of "1 " × 450,000 completes', { timeout: 60_000 }, async () => {
    const r = await chat(base(), { model: 'mock/echo', messages: msg('1 '.repeat(450_000)) }, auth(PII_KEY));
    expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
    await assertAlive(base());
  });

  it('f. huge and e-mail model names never reach /metrics', async () => {
    const long = 'm'.repeat(900_000);
    for (let i = 0; i < 20; i++) {
      const r = await chat(base(), { model: i % 2 ? `mock/${long}${i}` : `${long}${i}`, messages: msg('hi') });
      expect(r.status, r.text.slice(0, 200)).toBeLessThan(500);
    }
    for (const model of ['bob@example.com', 'fake/bob@example.com', 'mock/bob@example.com']) {
      const r = await chat(base(), { model, messages: msg('hi') });
      expect(r.status, r.text.slice(0, 200)).toBeLessThan(500);
    }
    const m = await send(base(), '/metrics', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(m.status).toBe(200);
    expect(m.text.length).toBeLessThan(2 * 1024 * 1024);
    const leaked = m.text.split('\n').filter((l) => l.includes('m'.repeat(1_000)) || l.includes('bob@example.com')).map((l) => l.slice(0, 200));
    expect(leaked, 'metric lines carrying a client-chosen model name').toEqual([]);
  });

  it('h. an upstream error echoing the provider key never shows it to the client (stream and not)', async () => {
    const cases = [
      ['leaky/gpt-4o-mini', SECRETS.openai],
      ['leakycompat/llama', SECRETS.compat],
      ['leakygemini/gemini-2.5-flash', SECRETS.gemini],
      ['leakyanthropic/claude-sonnet-4-5', SECRETS.anthropic],
      ['leaky/err-500', SECRETS.openai],
      ['leakygemini/err-503', SECRETS.gemini],
    ] as const;
    for (const [model, secret] of cases) {
      for (const stream of [false, true]) {
        const sid = `trig-h-${randomUUID()}`;
        const r = await chat(base(), { model, messages: msg('hi'), stream }, { 'x-session-id': sid });
        const seen = `${JSON.stringify(r.headers)}\n${r.text}`;
        const label = `${model} stream=${stream}: ${r.status} ${r.text.slice(0, 300)}`;
        expect(r.status, label).not.toBe(500);
        expect(seen, label).not.toContain(secret);
        expect(seen, label).not.toContain(secret.slice(8, 28));
        await rig.gw.deps.audit.flush();
        const t = await send(base(), `/admin/sessions/${sid}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        expect(t.text, `audit of ${label}`).not.toContain(secret.slice(8, 28));
      }
    }
  });

  it('i. a non-Latin-1 model name (fake/模型) streams and answers without a 500, and is logged', async () => {
    for (const stream of [false, true]) {
      const sid = `trig-i-${randomUUID()}`;
      const r = await chat(base(), { model: 'fake/模型', messages: msg('hi'), stream }, { 'x-session-id': sid });
      expect(r.status, `stream=${stream}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
      expect(r.text).not.toContain('internal_error');
      const requestId = r.headers['x-request-id']!;
      for (let i = 0; i < 100 && !((await requestLogged(rig.gw, requestId)) && (await auditLogged(rig.gw, sid))); i++) {
        await rig.gw.deps.requestLog.flush();
        await rig.gw.deps.audit.flush();
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(await requestLogged(rig.gw, requestId), `request-log row, stream=${stream}`).toBe(true);
      expect(await auditLogged(rig.gw, sid), `audit event, stream=${stream}`).toBe(true);
    }
  });

  it('j. an 18 MB tools array gives no 5xx and the writers progress afterwards', { timeout: 60_000 }, async () => {
    const description = 'd'.repeat(5_000);
    const tools = Array.from({ length: 1_900 }, (_, i) => ({ type: 'function', function: { name: `tool_${i}`, description, parameters: { type: 'object', properties: { q: { type: 'string', description } } } } }));
    const body = JSON.stringify({ model: 'mock/echo', messages: msg('use a tool'), tools });
    expect(body.length).toBeGreaterThan(18 * 1024 * 1024);
    expect(body.length).toBeLessThan(rig.gw.deps.config.server.bodyLimitBytes);
    const r = await chat(base(), body);
    expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
    await assertWritersProgress(rig.gw);
  });
});

describe('g. bodies over the limit on /mcp, /messages and /admin', () => {
  const LIMIT = 1024 * 1024;
  const SIZE = 25 * 1024 * 1024;
  const N = 8;
  let small: Rig;
  // One shared buffer: the client's own copy must not count as the gateway's growth.
  const big = Buffer.alloc(SIZE, 0x61);
  big.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"text":"', 0);
  big.write('"}}}', SIZE - 4);

  beforeAll(async () => {
    small = await startRig({ server: { bodyLimitBytes: LIMIT } });
  });
  afterAll(async () => {
    await small?.stop();
  });

  const routes = [
    ['POST', '/mcp'],
    ['POST', '/messages?sessionId=abc'],
    ['POST', '/admin/keys'],
    ['PUT', '/admin/teams/t1'],
    ['PATCH', '/admin/keys/k1'],
  ] as const;

  it.each(routes)('%s %s answers 413 with connection: close, and RSS does not grow by body × N', { timeout: 60_000 }, async (method, path) => {
    const headers = { ...json, accept: 'application/json, text/event-stream', authorization: `Bearer ${path.startsWith('/admin') ? ADMIN_KEY : KEYS[0]!.key}` };
    global.gc?.();
    const before = process.memoryUsage().rss;
    const results = await Promise.all(Array.from({ length: N }, () => send(small.gw.url, path, { method, headers, body: big, timeoutMs: 45_000 })));
    const grown = process.memoryUsage().rss - before;
    for (const r of results) {
      expect(r.failure, 'the gateway must answer before dropping the socket').toBeNull();
      expect(r.status, r.text.slice(0, 200)).toBe(413);
      expect(r.headers.connection).toBe('close');
    }
    expect(grown, `RSS grew ${Math.round(grown / 2 ** 20)} MB`).toBeLessThan(SIZE * N);
    assertRssBounded();
    await assertAlive(small.gw.url);
  });

  it('the /v1 door does the same (control)', async () => {
    const r = await send(small.gw.url, '/v1/chat/completions', { method: 'POST', headers: { ...json, ...auth() }, body: big, timeoutMs: 45_000 });
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
  });
});
