// Payloads on demand: a timeline read without payloads (payload_parts in their place), one event by seq with its payload,
// and the console's session page that links each payload to its event page instead of carrying them all.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-session-payloads-01';
const SECRETISH = 'payload-marker-7f3a';
let gw: RunningGateway;
let sid: string;

type Json = Record<string, unknown>;
const get = async (path: string): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${gw.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as Json };
};

let cookie = '';
const page = async (path: string): Promise<{ status: number; html: string }> => {
  const res = await fetch(`${gw.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
};

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    // A small inline limit: every other payload goes to the side table, so both places are read.
    audit: { flushIntervalMs: 20, inlinePayloadBytes: 256, spoolDir: mkdtempSync(join(tmpdir(), 'session-payloads-')) },
  });
  sid = `sp-${randomUUID()}`;
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < 4; i++) {
    const call: CallRecord = {
      kind: 'model_call',
      principal: { keyId: 'k-sp', teamId: null },
      sessionId: sid,
      requestId: `req_${randomUUID()}`,
      time: new Date(t0 + i * 1000),
      model: { requested: 'mock/echo', served: 'echo', provider: 'mock' },
      status: 200,
      latencyMs: 10,
      usage: { inputTokens: 5, outputTokens: 3 },
      costMicros: 40,
      request: { messages: [{ role: 'user', content: `${SECRETISH} ${i} ${i % 2 ? 'x'.repeat(400) : ''}` }] },
      response: { content: `answer ${i} <script>alert(1)</script>` },
    };
    gw.deps.audit.recordCall(call);
  }
  await gw.deps.audit.flush();
  const login = await fetch(`${gw.url}/ui/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gw.url },
    body: new URLSearchParams({ key: ADMIN, next: '/ui/sessions' }),
  });
  expect(login.status).toBe(303);
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
});
afterAll(async () => {
  await gw?.stop();
});

describe('GET /admin/sessions/{id}?payloads=false', () => {
  it('leaves every payload out, names its parts, and keeps everything else (verification included) as with payloads', async () => {
    const full = await get(`/sessions/${sid}?key=k-sp&verify=true`);
    const bare = await get(`/sessions/${sid}?key=k-sp&verify=true&payloads=false`);
    expect(bare.status).toBe(200);
    expect(bare.body.verify).toEqual(full.body.verify);
    expect((bare.body.verify as Json).ok).toBe(true);
    const fullEvents = full.body.events as Json[];
    const bareEvents = bare.body.events as Json[];
    expect(bareEvents).toHaveLength(4);
    expect(JSON.stringify(bare.body)).not.toContain(SECRETISH);
    bareEvents.forEach((e, i) => {
      const { payload, ...rest } = fullEvents[i]!;
      expect(payload).toMatchObject({ request: expect.anything(), response: expect.anything() });
      expect(e).not.toHaveProperty('payload');
      expect(e).toEqual({ ...rest, payload_parts: ['request', 'response'] });
    });
  });

  it('refuses a value other than true or false', async () => {
    const r = await get(`/sessions/${sid}?key=k-sp&payloads=no`);
    expect(r.status).toBe(400);
    expect((r.body.error as Json).param).toBe('payloads');
  });
});

describe('GET /admin/sessions/{id}/events/{seq}', () => {
  it('answers each event with its payload, inline or side-table, exactly as the full timeline has it', async () => {
    const full = ((await get(`/sessions/${sid}?key=k-sp`)).body.events as Json[]).sort((a, b) => Number(a.seq) - Number(b.seq));
    for (const e of full) {
      const one = await get(`/sessions/${sid}/events/${String(e.seq)}?key=k-sp`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(e);
    }
    // Both storage places were covered.
    expect(full.some((e) => e.payload_id)).toBe(true);
    expect(full.some((e) => !e.payload_id)).toBe(true);
  });

  it('is a 404 for a seq the session does not have and for an unknown session or key, and a 400 for a seq that is not one', async () => {
    expect((await get(`/sessions/${sid}/events/99?key=k-sp`)).status).toBe(404);
    expect((await get(`/sessions/nope-${randomUUID()}/events/1`)).status).toBe(404);
    expect((await get(`/sessions/${sid}/events/1?key=other-key`)).status).toBe(404);
    for (const bad of ['0', '-1', '1.5', 'abc', '1e3', '99999999999999999999', '%20']) {
      const r = await get(`/sessions/${sid}/events/${bad}?key=k-sp`);
      expect(r.status, bad).toBe(400);
      expect((r.body.error as Json).param, bad).toBe('seq');
    }
    expect((await get(`/sessions/${sid}/events/1?key=k-sp&extra=1`)).status).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('has payloads=false (from the route’s schema) and the event route', async () => {
    type Op = { parameters: Json[]; responses: Record<string, Json> };
    const doc = (await get('/openapi.json')).body as { paths: Record<string, { get: Op }> };
    expect(doc.paths['/admin/sessions/{id}']!.get.parameters.find((p) => p.name === 'payloads')).toMatchObject({ in: 'query', schema: { enum: ['true', 'false'] } });
    const event = doc.paths['/admin/sessions/{id}/events/{seq}']!.get;
    expect(event.parameters.map((p) => p.name)).toEqual(['id', 'seq', 'key']);
    expect(Object.keys(event.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});

describe('the console session page', () => {
  it('links each payload to its event page instead of carrying it', async () => {
    const { status, html } = await page(`/ui/sessions/${sid}?key=k-sp`);
    expect(status).toBe(200);
    expect(html).not.toContain(SECRETISH);
    expect(html).toContain('Chain verified');
    const links = [...html.matchAll(/<details data-lazy-payload=""><summary>[^<]*<\/summary><p><a href="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    expect(links).toEqual([1, 2, 3, 4].map((seq) => `/ui/sessions/${sid}/events/${seq}?key=k-sp`));
    expect(html).toContain('Payload (request, response)');
    expect(html).toContain(`href="/ui/sessions/${sid}?key=k-sp&amp;payloads=all"`);
  });

  it('has each payload, escaped, on its event page, and all of them with payloads=all and in print', async () => {
    const one = await page(`/ui/sessions/${sid}/events/2?key=k-sp`);
    expect(one.status).toBe(200);
    expect(one.html).toContain(`${SECRETISH} 1`);
    expect(one.html).not.toContain(`${SECRETISH} 0`);
    expect(one.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(one.html).not.toContain('<script>alert(1)');
    expect(one.html).toContain(`href="/ui/sessions/${sid}?key=k-sp#event-2"`);
    for (const q of ['payloads=all', 'print=1']) {
      const all = await page(`/ui/sessions/${sid}?key=k-sp&${q}`);
      expect(all.status).toBe(200);
      for (let i = 0; i < 4; i++) expect(all.html, q).toContain(`${SECRETISH} ${i}`);
      expect(all.html).not.toContain('data-lazy-payload');
    }
  });

  it('answers a missing event or a bad seq with the admin API’s error on an HTML page', async () => {
    const missing = await page(`/ui/sessions/${sid}/events/42?key=k-sp`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('has no event #42');
    const bad = await page(`/ui/sessions/${sid}/events/x%3Cb%3E?key=k-sp`);
    expect(bad.status).toBe(400);
    expect(bad.html).not.toContain('<b>');
  });
});
