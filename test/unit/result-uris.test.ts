// URIs inside MCP results, renamed per view: federated prefixes, virtual names, hidden resources, reads of templates.
import { describe, expect, it } from 'vitest';
import { createView } from '../../src/mcp/upstream/catalog.js';
import { exposeResultUris } from '../../src/mcp/inbound/result-uris.js';

const config = {
  mcpServers: { a: { type: 'http' }, b: { type: 'http' } } as never,
  virtualServers: { v: { tools: ['a__t'], prompts: [], resources: ['a+file:///shown.txt', 'a+db://{table}/rows', 'b+db://{table}/rows'] } },
};
const links = { content: [{ type: 'resource_link', uri: 'file:///shown.txt', name: 's' }, { type: 'resource_link', uri: 'file:///hidden.txt', name: 'h' }, { type: 'resource', resource: { uri: 'db://users/rows', text: '[]' } }, { type: 'text', text: 'file:///shown.txt' }] };

describe('exposeResultUris', () => {
  it('prefixes every URI on the federated route, and leaves text alone', () => {
    const out = exposeResultUris(createView(config, '')!, 'tools/call', 'a', links);
    expect(out.content).toEqual([
      { type: 'resource_link', uri: 'a+file:///shown.txt', name: 's' },
      { type: 'resource_link', uri: 'a+file:///hidden.txt', name: 'h' },
      { type: 'resource', resource: { uri: 'a+db://users/rows', text: '[]' } },
      { type: 'text', text: 'file:///shown.txt' },
    ]);
  });

  it('on a virtual route: exposed names as listed, template-covered URIs by their template, hidden ones not resolvable here', () => {
    const view = createView(config, 'v')!;
    const out = exposeResultUris(view, 'tools/call', 'a', links) as { content: Array<{ uri?: string; resource?: { uri: string } }> };
    expect(out.content[0]!.uri).toBe('file:///shown.txt');
    // Both servers expose `db://{table}/rows`, so the collision keeps the server prefix.
    expect(out.content[2]!.resource!.uri).toBe('a+db://users/rows');
    expect(view.resolveUri(out.content[2]!.resource!.uri)).toEqual({ serverId: 'a', uri: 'db://users/rows' });
    expect(out.content[1]!.uri).toBe('a+file:///hidden.txt');
    expect(view.resolveUri(out.content[1]!.uri!)).toBeNull();
  });

  it('names read contents as the client asked for them, and leaves upstream routes untouched', () => {
    const read = { contents: [{ uri: 'db://users/rows', text: '[]' }, { uri: 'db://users/rows/1', text: '{}' }] };
    const out = exposeResultUris(createView(config, '')!, 'resources/read', 'b', read, { upstream: 'db://users/rows', exposed: 'b+db://users/rows' });
    expect(out.contents).toEqual([{ uri: 'b+db://users/rows', text: '[]' }, { uri: 'b+db://users/rows/1', text: '{}' }]);
    expect(exposeResultUris(createView(config, 'a')!, 'tools/call', 'a', links)).toBe(links);
    // A result with no URI in it is passed on as it is, not copied.
    const plain = { content: [{ type: 'text', text: 'hi' }] };
    expect(exposeResultUris(createView(config, '')!, 'tools/call', 'a', plain)).toBe(plain);
  });

  it('renames embedded resources in prompt messages', () => {
    const p = { messages: [{ role: 'user', content: { type: 'resource', resource: { uri: 'file:///shown.txt', text: 'x' } } }] };
    const out = exposeResultUris(createView(config, '')!, 'prompts/get', 'a', p) as { messages: Array<{ content: { resource: { uri: string } } }> };
    expect(out.messages[0]!.content.resource.uri).toBe('a+file:///shown.txt');
  });
});
