// Two replicas, one agent session: the admin timeline lists calls in call order even when the later call's replica writes first.
import OpenAI from 'openai';
import { afterAll, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-replica-order-01';
const KEY = 'sk-gw-replica-order-key-012345';
const gws: RunningGateway[] = [];
afterAll(async () => {
  for (const g of gws) await g.stop();
});

it('keeps call order in the timeline when replicas flush out of order, and the chain still verifies', async () => {
  const base = { auth: { adminKey: ADMIN }, providers: { mock: { kind: 'mock', models: ['echo'] } }, keys: [{ id: 'k-order', key: KEY }], audit: { flushIntervalMs: 600_000 } };
  const redis: Record<string, string> = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};
  const a = await startTestGateway(base, redis);
  gws.push(a);
  const b = await startTestGateway(base, redis);
  gws.push(b);
  const session = `order-${Date.now()}`;
  const on = (g: RunningGateway) => new OpenAI({ baseURL: `${g.url}/v1`, apiKey: KEY, maxRetries: 0, defaultHeaders: { 'x-session-id': session } });
  await on(a).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'first call (replica A)' }] });
  await on(b).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'second call (replica B)' }] });
  await b.deps.audit.flush(); // the later call is chained first
  await a.deps.audit.flush();
  const admin = (path: string) => fetch(`${a.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json());
  const t = (await admin(`/sessions/${session}`)) as { events: Array<{ seq: number; payload: unknown }> };
  const order = t.events.map((e) => (JSON.stringify(e.payload).includes('first call') ? 'first' : 'second'));
  expect(order).toEqual(['first', 'second']);
  expect(t.events.map((e) => e.seq)).toEqual([2, 1]); // the chain's own order is the writers'
  expect(await admin(`/audit/verify?session=${session}`)).toMatchObject({ ok: true });
});
