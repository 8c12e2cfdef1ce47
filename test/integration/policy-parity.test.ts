// One rule set, two doors: the same key rules decide model calls (openai SDK) and MCP calls (MCP SDK Client) alike.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, textOf, type Fixture } from '../helpers/mcp.js';

const LIMITED = 'sk-gw-limited-key-0123456789';
const REDACT = 'sk-gw-redact-key-0123456789';
const BLOCK = 'sk-gw-block-key-01234567890';
const TEAMED = 'sk-gw-teamed-key-0123456789';

let fake: FakeUpstream;
let fixture: Fixture;
let gw: RunningGateway;

beforeAll(async () => {
  [fake, fixture] = await Promise.all([startFakeUpstream(), startFixture()]);
  gw = await startTestGateway({
    providers: { up: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-000000000', models: ['gpt-a', 'gpt-b'] }, other: { kind: 'mock', models: ['m'] } },
    models: { fast: { targets: [{ model: 'up/gpt-a' }] } },
    mcpServers: { fixture: { type: 'http', url: fixture.url } },
    teams: { ml: { models: ['up/gpt-a'], tools: ['fixture__echo'] } },
    keys: [
      { id: 'limited', key: LIMITED, models: ['up/*', 'fast'], tools: ['fixture__echo', 'fixture__structured'], mcpServers: ['fixture'] },
      { id: 'redactor', key: REDACT, pii: 'redact' },
      { id: 'blocker', key: BLOCK, pii: 'block' },
      { id: 'teamed', key: TEAMED, team: 'ml' },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([fake?.close(), fixture?.stop()]);
});
beforeEach(() => fake.reset());

const llm = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
const say = (content: string) => [{ role: 'user' as const, content }];
const claude = (key: string) => new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });

describe('access rules', () => {
  it('lists only the models and tools the key may use', async () => {
    const ids: string[] = [];
    for await (const m of llm(LIMITED).models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['fast', 'up/gpt-a', 'up/gpt-b']);
    const teamIds: string[] = [];
    for await (const m of llm(TEAMED).models.list()) teamIds.push(m.id);
    expect(teamIds.sort()).toEqual(['fast', 'up/gpt-a']);

    const mcp = await connect(`${gw.url}/mcp`, { key: LIMITED });
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['fixture__echo', 'fixture__structured']);
    await mcp.close();
  });

  it('allows and denies the same way on both doors', async () => {
    // Model door: allowed, then outside the allow-list.
    expect((await llm(LIMITED).chat.completions.create({ model: 'up/gpt-a', messages: say('hi') })).choices[0]?.message.content).toBe('echo: hi');
    await expect(llm(LIMITED).chat.completions.create({ model: 'other/m', messages: say('hi') })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(llm(LIMITED).embeddings.create({ model: 'other/m', input: 'x' })).rejects.toMatchObject({ status: 403 });
    // The team narrows what its key allows.
    await expect(llm(TEAMED).chat.completions.create({ model: 'up/gpt-b', messages: say('hi') })).rejects.toMatchObject({ status: 403 });
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);

    // Tool door: allowed, then outside the allow-list (as a readable isError result), then a resource on an allowed server.
    const mcp = await connect(`${gw.url}/mcp`, { key: LIMITED });
    expect(textOf(await mcp.callTool({ name: 'fixture__echo', arguments: { text: 'ok' } }))).toBe('fixture: ok');
    const denied = await mcp.callTool({ name: 'fixture__pid', arguments: {} });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/Denied by gateway policy \(authorize:tools\)/);
    await mcp.close();
    const teamMcp = await connect(`${gw.url}/mcp`, { key: TEAMED });
    expect((await teamMcp.callTool({ name: 'fixture__structured', arguments: {} })).isError).toBe(true);
    await teamMcp.close();
  });
});

describe('PII rules', () => {
  const secret = 'mail ann@example.com, card 4111 1111 1111 1111';

  it('redacts what goes upstream and what comes back, on both doors and in streams', async () => {
    const res = await llm(REDACT).chat.completions.create({ model: 'up/gpt-a', messages: say(secret) });
    const sent = JSON.stringify(fake.requests.at(-1)!.body);
    expect(sent).not.toContain('ann@example.com');
    expect(sent).toContain('[EMAIL_1]');
    expect(res.choices[0]?.message.content).toBe('echo: mail [EMAIL_1], card [CREDIT_CARD_1]');

    const stream = await llm(REDACT).chat.completions.create({ model: 'other/m', messages: say(secret), stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: mail [EMAIL_1], card [CREDIT_CARD_1]');

    const mcp = await connect(`${gw.url}/mcp`, { key: REDACT });
    const r = await mcp.callTool({ name: 'fixture__echo', arguments: { text: secret } });
    expect(textOf(r)).toBe('fixture: mail [EMAIL_1], card [CREDIT_CARD_1]');
    await mcp.close();
  });

  it('blocks on both doors when the key says block', async () => {
    await expect(llm(BLOCK).chat.completions.create({ model: 'up/gpt-a', messages: say(secret) })).rejects.toMatchObject({ status: 400, code: 'content_blocked' });
    expect(fake.requests).toHaveLength(0);
    const mcp = await connect(`${gw.url}/mcp`, { key: BLOCK });
    const r = await mcp.callTool({ name: 'fixture__echo', arguments: { text: secret } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/pii:block/);
    expect(textOf(r)).not.toContain('ann@example.com');
    await mcp.close();
  });
});

describe('the agent doors (Responses, Messages) under the same rules', () => {
  const secret = 'mail ann@example.com, card 4111 1111 1111 1111';

  it('allow-lists models the same way, each door answering in its own error shape', async () => {
    expect((await llm(LIMITED).responses.create({ model: 'up/gpt-a', input: 'hi' })).output_text).toContain('hi');
    await expect(llm(LIMITED).responses.create({ model: 'other/m', input: 'hi' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(claude(LIMITED).messages.create({ model: 'other/m', max_tokens: 16, messages: say('hi') })).rejects.toMatchObject({ status: 403, error: { type: 'error', error: { type: 'permission_error' } } });
    await expect(claude(TEAMED).messages.create({ model: 'up/gpt-b', max_tokens: 16, messages: say('hi') })).rejects.toMatchObject({ status: 403 });
    const ok = await claude(LIMITED).messages.create({ model: 'up/gpt-a', max_tokens: 16, messages: say('hi') });
    expect(ok.content[0]).toMatchObject({ type: 'text', text: 'echo: hi' });
  });

  it('redacts what goes upstream and what comes back on Responses (pass-through to OpenAI) and Messages (translated), streams included', async () => {
    const r = await llm(REDACT).responses.create({ model: 'up/gpt-a', input: secret });
    const sent = JSON.stringify(fake.requests.at(-1)!.body);
    expect(fake.requests.at(-1)!.path).toBe('/v1/responses');
    expect(sent).not.toContain('ann@example.com');
    expect(sent).toContain('[EMAIL_1]');
    expect(r.output_text).not.toContain('ann@example.com');

    const m = await claude(REDACT).messages.create({ model: 'up/gpt-a', max_tokens: 64, messages: say(secret) });
    expect(fake.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(JSON.stringify(fake.requests.at(-1)!.body)).not.toContain('4111 1111 1111 1111');
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'echo: mail [EMAIL_1], card [CREDIT_CARD_1]' });

    let text = '';
    const stream = claude(REDACT).messages.stream({ model: 'other/m', max_tokens: 64, messages: say(secret) });
    stream.on('text', (t) => (text += t));
    await stream.finalMessage();
    expect(text).toBe('echo: mail [EMAIL_1], card [CREDIT_CARD_1]');
  });

  it('blocks on both agent doors when the key says block, before anything goes upstream', async () => {
    await expect(llm(BLOCK).responses.create({ model: 'up/gpt-a', input: secret })).rejects.toMatchObject({ status: 400, code: 'content_blocked' });
    await expect(claude(BLOCK).messages.create({ model: 'up/gpt-a', max_tokens: 16, messages: say(secret) })).rejects.toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error' } } });
    expect(fake.requests).toHaveLength(0);
  });
});
