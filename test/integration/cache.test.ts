// The exact response cache through the real SDKs, on Redis (REDIS_URL) and on the in-process store: hits, streams, scope, bypass, $0.
import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const A = 'sk-gw-cache-key-a-0123456789';
const B = 'sk-gw-cache-key-b-0123456789';
const T1 = 'sk-gw-cache-team-1-012345678';
const T2 = 'sk-gw-cache-team-2-012345678';
const BUDGETED = 'sk-gw-cache-budget-01234567';

type Rows = Array<Record<string, unknown>>;
const rowsOf = (res: unknown): Rows => (Array.isArray(res) ? res : (res as { rows: Rows }).rows) as Rows;

const stores = [{ name: 'in-process', redis: undefined }, ...(process.env.REDIS_URL ? [{ name: 'Redis', redis: process.env.REDIS_URL }] : [])];

describe.each(stores)('response cache on the $name store', ({ redis }) => {
  let fake: FakeUpstream;
  let gw: RunningGateway;
  // A fresh word per run: a shared Redis must not answer from an earlier run's entries.
  const run = randomUUID();
  // Budgets on a shared Redis outlive a run: the budgeted key is new each time.
  const budgetedId = `budgeted-${run.slice(0, 8)}`;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startTestGateway({
      ...(redis ? { storage: { redisUrl: redis } } : {}),
      providers: {
        up: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-000000000', models: ['gpt-a', 'gpt-4o-mini', 'text-embedding-3-small'] },
        claude: { kind: 'anthropic', baseUrl: fake.url, apiKey: 'sk-ant-upstream-00000', models: ['claude-x'] },
      },
      cache: { enabled: true, models: [{ model: 'shared/*', scope: 'team' }] },
      models: { 'shared/a': { targets: [{ model: 'up/gpt-a' }] } },
      teams: { t: {} },
      keys: [
        { id: 'a', key: A },
        { id: 'b', key: B },
        { id: 't1', key: T1, team: 't' },
        { id: 't2', key: T2, team: 't' },
        { id: budgetedId, key: BUDGETED, budgets: [{ period: 'daily', usd: 5 }] },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const llm = (key: string, headers: Record<string, string> = {}) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
  const ask = (q: string, extra: Record<string, unknown> = {}) => ({ model: 'up/gpt-a', temperature: 0, messages: [{ role: 'user' as const, content: `${q} ${run}` }], ...extra });
  const upstreamCalls = () => fake.requests.filter((r) => /\/(chat\/completions|messages|embeddings|responses)$/.test(r.path)).length;

  it('answers a repeated question from the cache: one upstream call, the same answer, marked hit', async () => {
    const first = await llm(A).chat.completions.create(ask('What is the capital of France?')).withResponse();
    const second = await llm(A).chat.completions.create(ask('What is the capital of France?')).withResponse();
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.usage).toEqual(first.data.usage);
    expect(second.response.headers.get('x-gateway-provider')).toBe('up');
    expect(upstreamCalls()).toBe(1);
  });

  it('replays a streamed answer as a well-formed stream the SDK reads, stored only once complete', async () => {
    const q = ask('Stream me a haiku', { stream: true, stream_options: { include_usage: true } });
    const read = async () => {
      const { data: stream, response } = await llm(A).chat.completions.create(q as OpenAI.ChatCompletionCreateParamsStreaming).withResponse();
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, usage, finish, cache: response.headers.get('x-gateway-cache') };
    };
    const first = await read();
    const second = await read();
    expect(first.cache).toBe('miss');
    expect(second).toEqual({ ...first, cache: 'hit' });
    expect(first.text.length).toBeGreaterThan(0);
    expect(first.usage?.total_tokens).toBeGreaterThan(0);
    expect(upstreamCalls()).toBe(1);
    // A plain request is a different entry from a streamed one.
    const plain = await llm(A).chat.completions.create(ask('Stream me a haiku')).withResponse();
    expect(plain.response.headers.get('x-gateway-cache')).toBe('miss');
  });

  it('never serves one key the entry of another; a team scope shares within the team only', async () => {
    await llm(A).chat.completions.create(ask('scope question'));
    const b = await llm(B).chat.completions.create(ask('scope question')).withResponse();
    expect(b.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(2);
    const shared = { ...ask('team question'), model: 'shared/a' };
    await llm(T1).chat.completions.create(shared);
    const t2 = await llm(T2).chat.completions.create(shared).withResponse();
    const outsider = await llm(A).chat.completions.create(shared).withResponse();
    expect(t2.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(outsider.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(4);
  });

  it('bypasses on cache-control: no-store (nothing stored) and refreshes on no-cache; sampled requests are not cached', async () => {
    const q = ask('bypass question');
    const noStore = await llm(A, { 'cache-control': 'no-store' }).chat.completions.create(q).withResponse();
    expect(noStore.response.headers.get('x-gateway-cache')).toBe('bypass');
    const after = await llm(A).chat.completions.create(q).withResponse();
    expect(after.response.headers.get('x-gateway-cache')).toBe('miss');
    const refresh = await llm(A, { 'cache-control': 'no-cache' }).chat.completions.create(q).withResponse();
    expect(refresh.response.headers.get('x-gateway-cache')).toBe('bypass');
    expect(upstreamCalls()).toBe(3);
    const sampled = { ...q, temperature: 0.7 };
    await llm(A).chat.completions.create(sampled);
    const again = await llm(A).chat.completions.create(sampled).withResponse();
    expect(again.response.headers.get('x-gateway-cache')).toBe('bypass');
    expect(upstreamCalls()).toBe(5);
  });

  it('refuses a malformed x-gateway-cache-ttl with a 400', async () => {
    const err = await llm(A, { 'x-gateway-cache-ttl': 'forever' }).chat.completions.create(ask('ttl')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('x-gateway-cache-ttl');
    expect(upstreamCalls()).toBe(0);
  });

  it('costs $0 on a hit, records the saved cost, and marks the request log and the audit trail', async () => {
    const session = `cache-${randomUUID()}`;
    const client = llm(BUDGETED, { 'x-session-id': session });
    const priced = ask('priced question', { model: 'up/gpt-4o-mini' });
    await client.chat.completions.create(priced);
    const hit = await client.chat.completions.create(priced).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    await gw.deps.requestLog.flush();
    await gw.deps.audit.flush();
    const db = gw.deps.database.db;
    const logged = rowsOf(await db.execute(sql`select cache, cost_micros, saved_cost_micros from request_log where session_id = ${session} order by id`));
    expect(logged.map((r) => r.cache)).toEqual(['miss', 'hit']);
    const paid = Number(logged[0]!.cost_micros);
    expect(paid).toBeGreaterThan(0);
    expect(Number(logged[1]!.cost_micros)).toBe(0);
    expect(Number(logged[1]!.saved_cost_micros)).toBe(paid);
    const events = rowsOf(await db.execute(sql`select cache, cost_micros from audit_events where session_id = ${session} and kind = 'model_call' order by seq`));
    expect(events.map((e) => e.cache)).toEqual(['miss', 'hit']);
    // The budget was charged once: spend equals the first call's cost.
    const usage = await gw.deps.policyStores.budgets.usage(`key:${budgetedId}`, 'daily');
    expect(usage.spentMicros).toBe(paid);
  });

  it('caches the Messages door, plain and streamed, in its own format', async () => {
    const claude = new Anthropic({ baseURL: gw.url, apiKey: A, maxRetries: 0 });
    const body = { model: 'claude/claude-x', max_tokens: 64, temperature: 0, messages: [{ role: 'user' as const, content: `Hello Claude ${run}` }] };
    const m1 = await claude.messages.create(body).withResponse();
    const m2 = await claude.messages.create(body).withResponse();
    expect(m2.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(m2.data.content).toEqual(m1.data.content);
    const s1 = await claude.messages.stream(body).finalMessage();
    const s2 = claude.messages.stream(body);
    const final = await s2.finalMessage();
    expect(final.content).toEqual(s1.content);
    expect(upstreamCalls()).toBe(2);
  });

  it('caches the Responses door, plain and streamed, and each answer is retrievable by its own id', async () => {
    const body = { model: 'up/gpt-a', temperature: 0, input: `Responses question ${run}` };
    const r1 = await llm(A).responses.create(body).withResponse();
    const r2 = await llm(A).responses.create(body).withResponse();
    expect(r2.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(r2.data.output_text).toBe(r1.data.output_text);
    expect(r2.data.id).not.toBe(r1.data.id);
    const stored = await llm(A).responses.retrieve(r2.data.id);
    expect(stored.output_text).toBe(r1.data.output_text);
    const streamed = async () => {
      let text = '';
      for await (const ev of await llm(A).responses.create({ ...body, stream: true })) if (ev.type === 'response.output_text.delta') text += ev.delta;
      return text;
    };
    const s1 = await streamed();
    expect(await streamed()).toBe(s1);
    expect(upstreamCalls()).toBe(2);
  });

  it('caches embeddings', async () => {
    const e1 = await llm(A).embeddings.create({ model: 'up/text-embedding-3-small', input: `embed me ${run}` });
    const e2 = await llm(A).embeddings.create({ model: 'up/text-embedding-3-small', input: `embed me ${run}` }).withResponse();
    expect(e2.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(e2.data.data[0]!.embedding).toEqual(e1.data[0]!.embedding);
    expect(upstreamCalls()).toBe(1);
  });
});
