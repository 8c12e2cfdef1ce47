// The injection scanner stays quiet on the public reference MCP servers: a rule that starts to misfire on real definitions fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionStats, scanDefinition, scanServerInstructions } from '../../src/mcp/guard/injection-scan.js';
import { listPublicServer, PUBLIC_SERVERS, type ServerListing } from '../helpers/public-mcp-servers.js';

const listings = new Map<string, ServerListing>();

beforeAll(async () => {
  for (const s of PUBLIC_SERVERS) listings.set(s.id, await listPublicServer(s));
});
afterAll(() => listings.clear());

/** Every other server's tool names, raw and as the gateway's `<server>__<tool>`: cross_tool_reference is live. */
function otherToolNames(id: string): string[] {
  return [...listings.values()]
    .filter((l) => l.id !== id)
    .flatMap((l) => l.definitions.filter((d) => d.kind === 'tool').flatMap((d) => [d.name, `${l.id}__${d.name}`]));
}

describe.each(PUBLIC_SERVERS.map((s) => s.id))('%s', (id) => {
  it('lists real definitions with strings to scan', () => {
    const l = listings.get(id)!;
    expect(l.definitions.filter((d) => d.kind === 'tool').length).toBeGreaterThan(5);
    const strings = l.definitions.reduce((n, d) => n + definitionStats(d.kind, d.item).strings, 0);
    expect(strings).toBeGreaterThan(50);
  });

  it('no finding on any tool, prompt, resource, resource template or the server instructions', () => {
    const l = listings.get(id)!;
    const context = { otherToolNames: otherToolNames(id) };
    const findings = l.definitions.flatMap((d) => scanDefinition(d.kind, d.item, context).map((f) => ({ item: `${d.kind}:${d.name}`, ...f })));
    findings.push(...scanServerInstructions(l.instructions ?? '', context).map((f) => ({ item: 'instructions', ...f })));
    expect(findings).toEqual([]);
  });
});
