// Relays through the hub: progress, cancellation, sampling, elicitation, logging + setLevel, list_changed, subscriptions.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, everything, KEYS, startFixture, textOf, until, type Fixture } from '../helpers/mcp.js';

let fixture: Fixture;
let gw: RunningGateway;
let client: Client;
const sampled: unknown[] = [];
const logs: unknown[] = [];

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway({ keys: KEYS, mcpServers: { fixture: { type: 'http', url: fixture.url }, everything: everything() } });
  client = await connect(`${gw.url}/mcp`, { capabilities: { sampling: {}, elicitation: { form: {} } } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    sampled.push(req.params);
    const first = req.params.messages[0]?.content as { text?: string };
    return { role: 'assistant', content: { type: 'text', text: `sampled(${first.text})` }, model: 'test-model', stopReason: 'endTurn' };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.com' } }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => void logs.push(n.params));
});
afterAll(async () => {
  await client?.close();
  await gw?.stop();
  await fixture?.stop();
});

describe('MCP relays', () => {
  it('relays progress under the client token', async () => {
    const seen: Progress[] = [];
    const r = await client.callTool({ name: 'fixture__test_tool_with_progress' }, undefined, { onprogress: (p) => void seen.push(p) });
    expect(seen.map((p) => p.progress)).toEqual([0, 50, 100]);
    expect(seen.every((p) => p.total === 100)).toBe(true);
    expect(textOf(r)).not.toBe('no-token');
  });

  it('relays sampling from the HTTP fixture and from server-everything over stdio', async () => {
    const r = await client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'two plus two' } });
    expect(textOf(r)).toBe('LLM response: sampled(two plus two)');
    expect(sampled[0]).toMatchObject({ maxTokens: 100 });
    const e = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 20 } });
    expect(JSON.stringify(e.content)).toContain('sampled(');
  });

  it('relays elicitation and returns the answer upstream', async () => {
    const r = await client.callTool({ name: 'fixture__test_elicitation', arguments: { message: 'who are you?' } });
    expect(textOf(r)).toContain('"username":"ada"');
  });

  it('refuses sampling for a client that did not declare it; the upstream error comes back', async () => {
    const plain = await connect(`${gw.url}/mcp`);
    await expect(plain.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'x' } })).rejects.toThrow(/does not support sampling/);
    expect(sampled).toHaveLength(2);
    await plain.close();
  });

  it('cancels the upstream call when the client cancels', async () => {
    const ac = new AbortController();
    const call = client.callTool({ name: 'fixture__slow', arguments: { ms: 30_000 } }, undefined, { signal: ac.signal, onprogress: () => ac.abort('test cancel') });
    await expect(call).rejects.toThrow();
    const got = await until(async () => {
      const ids = JSON.parse(textOf(await client.callTool({ name: 'fixture__get_cancellations' }))) as string[];
      return ids.length > 0 ? ids : null;
    }, 'the fixture to see the cancellation');
    expect(got.length).toBe(1);
  });

  it('relays log messages of a call and honours logging/setLevel', async () => {
    logs.length = 0;
    await client.callTool({ name: 'fixture__test_tool_with_logging' });
    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatchObject({ level: 'info', data: 'Tool execution started' });
    await client.setLoggingLevel('warning');
    logs.length = 0;
    await client.callTool({ name: 'fixture__test_tool_with_logging' });
    expect(logs).toHaveLength(0);
    await client.setLoggingLevel('debug');
  });

  it('propagates tools/list_changed and serves the new tool', async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changed++);
    await client.callTool({ name: 'fixture__add_tool', arguments: { name: 'dynamic' } });
    await until(() => changed > 0, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('fixture__dynamic');
    expect(textOf(await client.callTool({ name: 'fixture__dynamic' }))).toBe('dynamic ran');
  });

  it('relays resources/updated for a subscription, with the federated URI', async () => {
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => void updated.push(n.params.uri));
    await client.subscribeResource({ uri: 'fixture+test://watched-resource' });
    await client.callTool({ name: 'fixture__touch_resource' });
    await until(() => updated.length > 0, 'resources/updated');
    expect(updated[0]).toBe('fixture+test://watched-resource');
    await client.unsubscribeResource({ uri: 'fixture+test://watched-resource' });
  });
});
