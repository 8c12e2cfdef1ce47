// 200 concurrent calls on two replicas sharing Redis against one $0.05 budget: with an upstream that honours the cap the
// gateway sends, nothing is spent past the budget; with one that bills past the cap, every cent is booked and the key is
// closed afterwards. The figures are printed for the closing note.
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const REDIS = process.env.REDIS_URL;
const run = `${Date.now()}-${randomUUID().slice(0, 8)}`;
/** $10 per million tokens in and out: a token costs 10 micro-dollars. */
const PRICE = { input: 10, output: 10 };
const LIMIT_MICROS = 50_000;
const CAP = 300;
const OVERBILL = 2000;
const CALLS = 200;

let fake: FakeUpstream;
const replicas: RunningGateway[] = [];

const key = (name: string) => `sk-gw-${name}-${run}-0123456789`;
const KEYS = ['honest', 'dishonest'].map((name) => ({ id: `${name}-${run}`, key: key(name), budgets: [{ period: 'total', usd: LIMIT_MICROS / 1_000_000 }] }));

beforeAll(async () => {
  if (!REDIS) return;
  fake = await startFakeUpstream();
  const config = {
    policy: { defaultMaxOutputTokens: CAP },
    providers: {
      up: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: 'sk-up-concurrency', prices: { 'gpt-4o-mini': PRICE, [`gpt-overbill-${OVERBILL}`]: PRICE } },
    },
    keys: KEYS,
  };
  for (let i = 0; i < 2; i++) replicas.push(await startTestGateway(config, { REDIS_URL: REDIS }));
});
afterAll(async () => {
  for (const r of replicas) await r.stop();
  await fake?.close();
});

async function burst(apiKey: string, model: string): Promise<{ ok: number; refused: number; other: number }> {
  const clients = replicas.map((r) => new OpenAI({ baseURL: `${r.url}/v1`, apiKey, maxRetries: 0 }));
  const results = await Promise.allSettled(
    Array.from({ length: CALLS }, (_, i) => clients[i % 2]!.chat.completions.create({ model, messages: [{ role: 'user', content: `call ${i}` }] })),
  );
  let ok = 0;
  let refused = 0;
  let other = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') ok++;
    else if (r.reason instanceof OpenAI.APIError && r.reason.status === 429 && r.reason.code === 'insufficient_quota') refused++;
    else other++;
  }
  return { ok, refused, other };
}

const spent = async (id: string) => (await replicas[0]!.deps.policyStores.budgets.usage(`key:${id}`, 'total')).spentMicros;

describe.skipIf(!REDIS)('budgets under concurrency on two replicas', () => {
  it('spends nothing past the budget when the upstream honours the cap it is sent', async () => {
    const r = await burst(KEYS[0]!.key, 'up/gpt-4o-mini');
    const booked = await spent(KEYS[0]!.id);
    console.log(`[budget] honest: ${CALLS} concurrent calls on 2 replicas → ${r.ok} served, ${r.refused} refused (429), ${r.other} other; booked ${booked} of ${LIMIT_MICROS} micro-dollars`);
    expect(r.other).toBe(0);
    expect(r.ok).toBeGreaterThan(0);
    expect(booked).toBeLessThanOrEqual(LIMIT_MICROS);
    // Every request that reached the upstream carried the reserved cap.
    const sent = fake.requests.filter((q) => (q.body as { messages?: unknown[] } | undefined)?.messages && q.path.includes('/chat/completions'));
    expect(sent.length).toBeGreaterThanOrEqual(r.ok);
    for (const q of sent) expect((q.body as { max_tokens?: number }).max_tokens).toBe(CAP);
  });

  it('books every cent an upstream bills past the cap, and refuses the key afterwards', async () => {
    const before = fake.requests.length;
    const r = await burst(KEYS[1]!.key, `up/gpt-overbill-${OVERBILL}`);
    const booked = await spent(KEYS[1]!.id);
    const served = fake.requests.length - before;
    const perCall = (OVERBILL + 1) * 10; // output as billed, plus at least one input token
    console.log(`[budget] dishonest: ${CALLS} concurrent calls on 2 replicas → ${r.ok} served, ${r.refused} refused; booked ${booked} micro-dollars against a ${LIMIT_MICROS} budget (overspend ${Math.max(0, booked - LIMIT_MICROS)}, about ${((booked - LIMIT_MICROS) / perCall).toFixed(1)} calls' worth, all admitted before the first overrun settled)`);
    expect(r.other).toBe(0);
    expect(r.ok).toBe(served);
    // Booked truthfully: at least what the upstream billed for every served call.
    expect(booked).toBeGreaterThanOrEqual(r.ok * perCall);
    // Admission held: no more calls ran than reservations of the cap fit in the budget.
    expect(r.ok).toBeLessThanOrEqual(Math.ceil(LIMIT_MICROS / (CAP * 10)));
    // And the key is closed now, on both replicas.
    for (const rep of replicas) {
      const c = new OpenAI({ baseURL: `${rep.url}/v1`, apiKey: KEYS[1]!.key, maxRetries: 0 });
      await expect(c.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'after' }] })).rejects.toMatchObject({ status: 429 });
    }
  });
});
