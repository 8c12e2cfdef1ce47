// One agent run through both doors (openai SDK chat, streamed and not; MCP SDK tool calls) under one x-session-id: the ordered, chained timeline.
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, TEST_KEY, textOf, type Fixture } from '../helpers/mcp.js';

const ADMIN = 'admin-key-for-audit-run-0123456';
let fixture: Fixture;
let gw: RunningGateway;

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    providers: { mock: { kind: 'mock', models: ['echo'] }, other: { kind: 'mock', models: ['echo'] } },
    keys: [{ id: 'k-run', key: TEST_KEY, models: ['mock/*'], tools: ['*'], mcpServers: ['*'], pii: 'redact' }],
    mcpServers: { fixture: { type: 'http', url: fixture.url } },
    audit: { flushIntervalMs: 50 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
});

describe('an agent run across both doors', () => {
  it('produces exactly the expected ordered timeline with a valid chain', async () => {
    const session = `agent-run-${randomUUID()}`;
    const headers = { 'x-session-id': session };
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0, defaultHeaders: headers });
    let mcp: Client | null = null;
    try {
      const first = await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'plan the task' }] });
      expect(first.choices[0]?.message.content).toBe('echo: plan the task');

      mcp = await connect(`${gw.url}/mcp`, { headers });
      expect(textOf(await mcp.callTool({ name: 'fixture__echo', arguments: { text: 'step one' } }))).toBe('fixture: step one');

      const stream = await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'stream it' }], stream: true, stream_options: { include_usage: true } });
      let streamed = '';
      for await (const c of stream) streamed += c.choices[0]?.delta.content ?? '';
      expect(streamed).toBe('echo: stream it');

      await expect(openai.chat.completions.create({ model: 'other/echo', messages: [{ role: 'user', content: 'not allowed bob@example.org' }] })).rejects.toMatchObject({ status: 403 });

      const pii = await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'mail alice.smith@example.com now' }] });
      expect(pii.choices[0]?.message.content).not.toContain('alice.smith@example.com');

      expect(textOf(await mcp.callTool({ name: 'fixture__echo', arguments: { text: 'done' } }))).toBe('fixture: done');
    } finally {
      await mcp?.close();
    }
    await gw.deps.audit.flush();

    const admin = { authorization: `Bearer ${ADMIN}` };
    const res = await fetch(`${gw.url}/admin/sessions/${session}`, { headers: admin });
    expect(res.status).toBe(200);
    const t = (await res.json()) as { session: { key: string; totals: Record<string, number>; client: Record<string, unknown> }; events: Array<Record<string, unknown>> };
    const row = (e: Record<string, unknown>) => [e.seq, e.kind, e['gen_ai.request.model'] ?? e['gen_ai.tool.name'], e.decision, e.status, e.stream ?? null];
    expect(t.events.map(row)).toEqual([
      [1, 'model_call', 'mock/echo', 'allowed', 200, false],
      [2, 'tool_call', 'fixture__echo', 'allowed', 200, null],
      [3, 'model_call', 'mock/echo', 'allowed', 200, true],
      [4, 'policy_decision', 'other/echo', 'denied', null, null],
      [5, 'model_call', 'other/echo', 'denied', 403, false],
      [6, 'policy_decision', 'mock/echo', 'redacted', null, null],
      [7, 'model_call', 'mock/echo', 'redacted', 200, false],
      [8, 'tool_call', 'fixture__echo', 'allowed', 200, null],
    ]);
    expect(t.events[3]).toMatchObject({ step: 'authorize', rule: expect.stringMatching(/^authorize/) });
    expect(t.events[5]).toMatchObject({ step: 'pii', findings: { EMAIL: 1 } });
    expect(t.events[1]).toMatchObject({ 'mcp.method.name': 'tools/call', mcp_server: 'fixture', 'mcp.session.id': expect.any(String) });
    expect(t.events[0]).toMatchObject({ 'gen_ai.provider.name': 'mock', 'gen_ai.response.model': expect.any(String), 'gen_ai.usage.input_tokens': expect.any(Number) });
    expect(t.events[2]!.payload).toMatchObject({ response: { choices: [{ content: 'echo: stream it' }] } });
    expect(t.events[1]!.payload).toMatchObject({ request: { params: { arguments: { text: 'step one' } } }, response: { content: [{ text: 'fixture: step one' }] } });
    // Payloads are stored as the upstream saw them: redacted, with no original in the default capture mode.
    const exported = await (await fetch(`${gw.url}/admin/sessions/${session}/export`, { headers: admin })).text();
    expect(exported).not.toContain('alice.smith@example.com');
    expect(exported).not.toContain('bob@example.org'); // denied before the PII step: no request stored
    expect(exported.trim().split('\n')).toHaveLength(9);

    expect(t.session.key).toBe('k-run');
    expect(t.session.totals).toMatchObject({ calls: 6, denials: 1, redactions: 1 });
    expect(t.session.client).toMatchObject({ name: 'gateway-test', version: '1.0.0' });
    const verify = await (await fetch(`${gw.url}/admin/audit/verify?session=${session}`, { headers: admin })).json();
    expect(verify).toMatchObject({ ok: true, checked: 8, broken: null });
  });

  it('keeps one session across all three model doors and MCP, and records which door each call used', async () => {
    const session = `three-doors-${randomUUID()}`;
    const headers = { 'x-session-id': session };
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0, defaultHeaders: headers });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: TEST_KEY, maxRetries: 0, defaultHeaders: headers });
    let mcp: Client | null = null;
    try {
      const chat = await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'via chat' }] });
      expect(chat.choices[0]?.message.content).toBe('echo: via chat');
      const resp = await openai.responses.create({ model: 'mock/echo', input: 'via responses' });
      expect(resp.output_text).toBe('echo: via responses');
      let streamed = '';
      for await (const ev of await openai.responses.create({ model: 'mock/echo', input: 'streamed responses', stream: true })) {
        if (ev.type === 'response.output_text.delta') streamed += ev.delta;
      }
      expect(streamed).toBe('echo: streamed responses');
      const msg = await anthropic.messages.create({ model: 'mock/echo', max_tokens: 64, messages: [{ role: 'user', content: 'via messages' }] });
      expect(msg.content[0]).toMatchObject({ type: 'text', text: 'echo: via messages' });
      mcp = await connect(`${gw.url}/mcp`, { headers });
      expect(textOf(await mcp.callTool({ name: 'fixture__echo', arguments: { text: 'via mcp' } }))).toBe('fixture: via mcp');
      // The same redaction on every door: the address never reaches the trail.
      const redacted = await anthropic.messages.create({ model: 'mock/echo', max_tokens: 64, messages: [{ role: 'user', content: 'mail carol@example.net' }] });
      expect(JSON.stringify(redacted.content)).not.toContain('carol@example.net');
    } finally {
      await mcp?.close();
    }
    await gw.deps.audit.flush();
    const admin = { authorization: `Bearer ${ADMIN}` };
    const t = (await (await fetch(`${gw.url}/admin/sessions/${session}`, { headers: admin })).json()) as { events: Array<Record<string, unknown>> };
    const calls = t.events.filter((e) => e.kind !== 'policy_decision').map((e) => [e.kind, e.door, e.status, e.stream ?? null]);
    expect(calls).toEqual([
      ['model_call', 'chat', 200, false],
      ['model_call', 'responses', 200, false],
      ['model_call', 'responses', 200, true],
      ['model_call', 'messages', 200, false],
      ['tool_call', 'tool', 200, null],
      ['model_call', 'messages', 200, false],
    ]);
    expect(t.events.find((e) => e.kind === 'policy_decision')).toMatchObject({ door: 'messages', step: 'pii', decision: 'redacted' });
    const exported = await (await fetch(`${gw.url}/admin/sessions/${session}/export`, { headers: admin })).text();
    expect(exported).not.toContain('carol@example.net');
    const verify = await (await fetch(`${gw.url}/admin/audit/verify?session=${session}`, { headers: admin })).json();
    expect(verify).toMatchObject({ ok: true, checked: t.events.length, broken: null });
  });

  it("groups Claude Code's calls by the session in metadata.user_id when no x-session-id is sent", async () => {
    const sid = randomUUID();
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: TEST_KEY, maxRetries: 0 });
    const userId = JSON.stringify({ device_id: 'dev-1', account_uuid: '', session_id: sid });
    for (const text of ['first turn', 'second turn']) {
      await anthropic.messages.create({ model: 'mock/echo', max_tokens: 32, metadata: { user_id: userId }, messages: [{ role: 'user', content: text }] });
    }
    await gw.deps.audit.flush();
    const res = await fetch(`${gw.url}/admin/sessions/${sid}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const t = (await res.json()) as { events: Array<Record<string, unknown>> };
    expect(t.events.map((e) => [e.kind, e.door])).toEqual([
      ['model_call', 'messages'],
      ['model_call', 'messages'],
    ]);
  });

  it('gives an LLM request without x-session-id its own one-call session (the request id)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', 'user-agent': 'audit-test/1' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'solo' }] }),
    });
    expect(res.status).toBe(200);
    const sid = res.headers.get('x-session-id')!;
    expect(sid).toBe(res.headers.get('x-request-id'));
    await gw.deps.audit.flush();
    const t = (await (await fetch(`${gw.url}/admin/sessions/${sid}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { events: unknown[]; session: { client: { userAgent: string | null } } };
    expect(t.events).toHaveLength(1);
    expect(t.session.client.userAgent).toBe('audit-test/1');
  });
});
