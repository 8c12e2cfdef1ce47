// The semantic cache through the openai SDK: a paraphrase is a hit (with its similarity in the trail), a different question a miss.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { LEXICAL_MODEL } from '../fixtures/lexical-embedding.js';
import { startTestGateway } from '../helpers/gateway.js';

const KEY = 'sk-gw-semantic-key-0123456789';
const OTHER = 'sk-gw-semantic-other-01234567';
type Rows = Array<Record<string, unknown>>;
const rowsOf = (res: unknown): Rows => (Array.isArray(res) ? res : (res as { rows: Rows }).rows) as Rows;

let fake: FakeUpstream;
let gw: RunningGateway;
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    ...(process.env.REDIS_URL ? { storage: { redisUrl: process.env.REDIS_URL } } : {}),
    providers: { up: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-000000000', models: ['gpt-a', LEXICAL_MODEL] } },
    cache: { models: [{ model: 'up/gpt-a', semantic: { embeddingModel: `up/${LEXICAL_MODEL}`, threshold: 0.9 } }] },
    keys: [
      { id: 'sem', key: KEY },
      { id: 'sem-other', key: OTHER },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const llm = (key: string, session: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: { 'x-session-id': session } });
const ask = (q: string) => ({ model: 'up/gpt-a', temperature: 0, messages: [{ role: 'system' as const, content: `run ${run}` }, { role: 'user' as const, content: q }] });
const chatCalls = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

it('answers a paraphrase from the cache, not a different question, and only within the scope', async () => {
  const session = `sem-${randomUUID()}`;
  const client = llm(KEY, session);
  const first = await client.chat.completions.create(ask('What is the capital city of France?'));
  // The index is written after the answer is sent: wait until the entry is findable.
  for (let i = 0; i < 50; i++) {
    const n = rowsOf(await gw.deps.database.db.execute(sql`select count(*)::int as n from cache_semantic where scope like 'key:sem|%'`))[0]!.n as number;
    if (n > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const para = await client.chat.completions.create(ask('what is the capital city of france')).withResponse();
  expect(para.response.headers.get('x-gateway-cache')).toBe('hit');
  expect(para.data.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
  const other = await client.chat.completions.create(ask('How tall is Mount Everest in metres?')).withResponse();
  expect(other.response.headers.get('x-gateway-cache')).toBe('miss');
  const stranger = await llm(OTHER, `sem-${randomUUID()}`).chat.completions.create(ask('what is the capital city of france')).withResponse();
  expect(stranger.response.headers.get('x-gateway-cache')).toBe('miss');
  expect(chatCalls()).toBe(3);
  await gw.deps.requestLog.flush();
  await gw.deps.audit.flush();
  const logged = rowsOf(await gw.deps.database.db.execute(sql`select cache, cache_similarity from request_log where session_id = ${session} order by id`));
  expect(logged.map((r) => r.cache)).toEqual(['miss', 'hit', 'miss']);
  const similarity = Number(logged[1]!.cache_similarity);
  expect(similarity).toBeGreaterThanOrEqual(0.9);
  expect(similarity).toBeLessThanOrEqual(1);
  const events = rowsOf(await gw.deps.database.db.execute(sql`select cache, cache_similarity from audit_events where session_id = ${session} and kind = 'model_call' order by seq`));
  expect(events.map((e) => e.cache)).toEqual(['miss', 'hit', 'miss']);
  expect(Number(events[1]!.cache_similarity)).toBeCloseTo(similarity, 6);
});
