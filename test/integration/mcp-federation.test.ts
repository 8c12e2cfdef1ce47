// The MCP hub federating the HTTP fixture and server-everything (stdio): listing, verbatim calls, names, virtual servers.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, everything, KEYS, startFixture, TEST_KEY, textOf, type Fixture } from '../helpers/mcp.js';

let fixture: Fixture;
let gw: RunningGateway;
let client: Client;

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway({
    keys: KEYS,
    mcpServers: { fixture: { type: 'http', url: fixture.url, headers: { 'x-upstream-secret': 'upstream-only' } }, everything: everything() },
    virtualServers: {
      curated: { tools: ['fixture__echo', 'everything__echo', 'everything__get-sum', 'fixture__structured', 'fixture__resource_links'], resources: ['fixture+test://static-text', 'fixture+test://template/{id}/data'], prompts: ['fixture__test_simple_prompt'] },
    },
  });
  client = await connect(`${gw.url}/mcp`);
});
afterAll(async () => {
  await client?.close();
  await gw?.stop();
  await fixture?.stop();
});

describe('federated /mcp', () => {
  it('lists tools of both servers under <serverId>__<tool>, with schemas verbatim', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('fixture__echo');
    expect(names).toContain('everything__echo');
    expect(names).toContain('everything__get-sum');
    for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const schema = tools.find((t) => t.name === 'fixture__json_schema_2020_12_tool')!.inputSchema as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$defs).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    const out = tools.find((t) => t.name === 'fixture__structured')!.outputSchema as Record<string, unknown>;
    expect(out.$defs).toEqual({ item: { type: 'object', properties: { v: { type: 'number' } }, additionalProperties: false } });
  });

  it('sanitises invalid or too-long names with a stable hash suffix, and calls them', async () => {
    const { tools } = await client.listTools();
    const dotted = tools.find((t) => t.name.startsWith('fixture__tool_with_dots_'))!;
    const long = tools.find((t) => t.name.startsWith('fixture__a_tool_name_that'))!;
    expect(dotted.name).toMatch(/^fixture__tool_with_dots_[0-9a-f]{6}$/);
    expect(long.name.length).toBe(64);
    expect(textOf(await client.callTool({ name: dotted.name }))).toBe('dots ok');
    expect(textOf(await client.callTool({ name: long.name }))).toBe('long ok');
  });

  it('routes same-named tools of two servers to the right one', async () => {
    expect(textOf(await client.callTool({ name: 'fixture__echo', arguments: { text: 'hi' } }))).toBe('fixture: hi');
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }))).toContain('hi');
    expect(textOf(await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
  });

  it('relays results verbatim: structured content, _meta, images, audio, embedded resources, isError', async () => {
    const s = await client.callTool({ name: 'fixture__structured', arguments: { n: 7 } });
    expect(s.structuredContent).toEqual({ items: [{ v: 7 }] });
    expect(s._meta).toEqual({ 'fixture/extra': true });
    const mixed = await client.callTool({ name: 'fixture__test_multiple_content_types' });
    expect((mixed.content as { type: string }[]).map((c) => c.type)).toEqual(['text', 'image', 'resource']);
    const audio = await client.callTool({ name: 'fixture__test_audio_content' });
    expect(audio.content).toEqual([expect.objectContaining({ type: 'audio', mimeType: 'audio/wav' })]);
    const err = await client.callTool({ name: 'fixture__test_error_handling' });
    expect(err.isError).toBe(true);
  });

  it('answers an unknown tool with a JSON-RPC error', async () => {
    await expect(client.callTool({ name: 'nope__missing' })).rejects.toThrow(/Unknown tool/);
  });

  it('federates resources, templates and prompts with prefixes, and reads through them', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('fixture+test://static-text');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('fixture+test://template/{id}/data');
    const read = await client.readResource({ uri: 'fixture+test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'fixture+test://static-text', text: 'This is the content of the static text resource.' });
    const tpl = await client.readResource({ uri: 'fixture+test://template/42/data' });
    expect(tpl.contents[0]!.uri).toBe('fixture+test://template/42/data');
    expect(JSON.parse(String((tpl.contents[0] as { text: string }).text))).toEqual({ id: '42', templateTest: true, data: 'Data for ID: 42' });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('fixture__test_prompt_with_arguments');
    const p = await client.getPrompt({ name: 'fixture__test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(p.messages[0]!.content).toEqual({ type: 'text', text: "Prompt with arguments: arg1='a', arg2='b'" });
    const c = await client.complete({ ref: { type: 'ref/prompt', name: 'fixture__test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'al' } });
    expect(c.completion.values).toEqual(['alpha']);
    expect(await client.ping()).toEqual({});
  });

  it('names every URI in results the way it can be sent back: reads, resource links, embedded resources, prompts', async () => {
    const read = await client.readResource({ uri: 'fixture+test://static-text' });
    const again = await client.readResource({ uri: read.contents[0]!.uri });
    expect(again.contents[0]).toMatchObject({ uri: 'fixture+test://static-text', text: 'This is the content of the static text resource.' });
    const links = (await client.callTool({ name: 'fixture__resource_links' })).content as Array<{ type: string; uri?: string; resource?: { uri: string } }>;
    expect(links[0]).toMatchObject({ type: 'resource_link', uri: 'fixture+test://static-text' });
    expect(links[1]!.resource!.uri).toBe('fixture+test://template/5/data');
    expect((await client.readResource({ uri: links[0]!.uri! })).contents[0]!.uri).toBe(links[0]!.uri);
    const followed = await client.readResource({ uri: links[1]!.resource!.uri });
    expect(JSON.parse(String((followed.contents[0] as { text: string }).text))).toMatchObject({ id: '5' });
    const embedded = (await client.callTool({ name: 'fixture__test_embedded_resource' })).content as Array<{ resource: { uri: string } }>;
    expect(embedded[0]!.resource.uri).toBe('fixture+test://embedded-resource');
    const p = await client.getPrompt({ name: 'fixture__test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://static-text' } });
    const withResource = p.messages.find((m) => m.content.type === 'resource')!.content as { resource: { uri: string } };
    expect(withResource.resource.uri).toBe('fixture+test://static-text');
  });

  it('names updated resources the way the client subscribed to them', async () => {
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await client.subscribeResource({ uri: 'fixture+test://watched-resource' });
    await client.callTool({ name: 'fixture__touch_resource' });
    await vi.waitFor(() => expect(updates).toContain('fixture+test://watched-resource'));
    await client.unsubscribeResource({ uri: 'fixture+test://watched-resource' });
  });

  it('sends the configured upstream headers, never the client key', async () => {
    const seen = JSON.parse(textOf(await client.callTool({ name: 'fixture__seen_headers' }))) as Record<string, string>;
    expect(seen['x-upstream-secret']).toBe('upstream-only');
    expect(JSON.stringify(seen)).not.toContain(KEYS[0]!.key);
  });

  it('shows upstream health on /readyz', async () => {
    const body = (await (await fetch(`${gw.url}/readyz`)).json()) as { mcp: Record<string, { state: string }> };
    expect(body.mcp.fixture!.state).toBe('ready');
    expect(body.mcp.everything!.state).toBe('ready');
  });
});

describe('/mcp/<id>', () => {
  it('serves one upstream with its own names and URIs', async () => {
    const one = await connect(`${gw.url}/mcp/fixture`);
    const { tools } = await one.listTools();
    expect(tools.map((t) => t.name)).toContain('test_simple_text');
    expect(tools.some((t) => t.name.startsWith('everything'))).toBe(false);
    expect(textOf(await one.callTool({ name: 'test_simple_text' }))).toBe('This is a simple text response for testing.');
    expect((await one.readResource({ uri: 'test://static-text' })).contents[0]!.uri).toBe('test://static-text');
    await one.close();
  });

  it('serves a virtual server: a curated subset, unprefixed, colliding names kept federated', async () => {
    const v = await connect(`${gw.url}/mcp/curated`);
    const names = (await v.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['everything__echo', 'fixture__echo', 'get-sum', 'resource_links', 'structured']);
    expect(textOf(await v.callTool({ name: 'get-sum', arguments: { a: 1, b: 1 } }))).toContain('2');
    expect(textOf(await v.callTool({ name: 'fixture__echo', arguments: { text: 'v' } }))).toBe('fixture: v');
    await expect(v.callTool({ name: 'test_simple_text' })).rejects.toThrow(/Unknown tool/);
    expect((await v.listResources()).resources.map((r) => r.uri)).toEqual(['test://static-text']);
    const tpl = await v.readResource({ uri: 'test://template/7/data' });
    expect(tpl.contents[0]!.uri).toBe('test://template/7/data');
    // Links in results carry this route's names: the static resource as listed, the templated one as its template covers it.
    const links = (await v.callTool({ name: 'resource_links' })).content as Array<{ uri?: string; resource?: { uri: string } }>;
    expect(links[0]!.uri).toBe('test://static-text');
    expect(links[1]!.resource!.uri).toBe('test://template/5/data');
    expect((await v.readResource({ uri: links[1]!.resource!.uri })).contents[0]!.uri).toBe('test://template/5/data');
    expect((await v.listPrompts()).prompts.map((p) => p.name)).toEqual(['test_simple_prompt']);
    await v.close();
  });

  it('answers an unknown server id with 404', async () => {
    await expect(connect(`${gw.url}/mcp/nope`)).rejects.toThrow();
  });
});

describe('legacy HTTP+SSE', () => {
  it('serves /sse + /messages to an SSE client, with the key required', async () => {
    const sse = new Client({ name: 'legacy', version: '1' });
    await sse.connect(new SSEClientTransport(new URL(`${gw.url}/sse`), { requestInit: { headers: { authorization: `Bearer ${TEST_KEY}` } } }));
    expect((await sse.listTools()).tools.map((t) => t.name)).toContain('fixture__echo');
    expect(textOf(await sse.callTool({ name: 'fixture__echo', arguments: { text: 'old' } }))).toBe('fixture: old');
    await sse.close();
    expect((await fetch(`${gw.url}/sse`)).status).toBe(401);
  });
});
