// The public reference MCP servers installed as devDependencies: start one over stdio and list every definition it offers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { DefinitionKind } from '../../src/mcp/guard/injection-types.js';

const pkg = (name: string) => fileURLToPath(new URL(`../../node_modules/@modelcontextprotocol/${name}/dist/index.js`, import.meta.url));

export interface PublicServer {
  id: string;
  /** npm package, for reports. */
  package: string;
  /** Arguments after `node`; `dir` is a fresh temporary directory the server may use. */
  args(dir: string): string[];
  env(dir: string): Record<string, string>;
}

/** Each package's `bin` is `dist/index.js`; everything takes the transport, filesystem its allowed directories. */
export const PUBLIC_SERVERS: PublicServer[] = [
  { id: 'everything', package: '@modelcontextprotocol/server-everything', args: () => [pkg('server-everything'), 'stdio'], env: () => ({}) },
  { id: 'filesystem', package: '@modelcontextprotocol/server-filesystem', args: (dir) => [pkg('server-filesystem'), dir], env: () => ({}) },
  { id: 'memory', package: '@modelcontextprotocol/server-memory', args: () => [pkg('server-memory')], env: (dir) => ({ MEMORY_FILE_PATH: join(dir, 'memory.jsonl') }) },
];

export interface ListedDefinition {
  kind: DefinitionKind;
  name: string;
  item: Record<string, unknown>;
}

export interface ServerListing {
  id: string;
  version: string;
  instructions: string | undefined;
  definitions: ListedDefinition[];
}

/** Follows nextCursor; a server that pages forever stops at 100 pages. */
async function pages<T>(list: (cursor?: string) => Promise<{ nextCursor?: string; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await list(cursor);
    out.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}

/** Starts the server, lists tools, prompts, resources and resource templates (those it declares), and stops it. */
export async function listPublicServer(server: PublicServer): Promise<ServerListing> {
  const dir = mkdtempSync(join(tmpdir(), `mcp-${server.id}-`));
  const client = new Client({ name: 'injection-scan', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: server.args(dir),
    env: { ...getDefaultEnvironment(), ...server.env(dir) },
    cwd: dir,
    stderr: 'ignore',
  });
  try {
    await client.connect(transport);
    const caps = client.getServerCapabilities() ?? {};
    const defs: ListedDefinition[] = [];
    const add = (kind: DefinitionKind, items: Array<Record<string, unknown> & { name: string }>) => {
      for (const item of items) defs.push({ kind, name: item.name, item });
    };
    if (caps.tools) add('tool', await pages(async (cursor) => { const r = await client.listTools({ cursor }); return { nextCursor: r.nextCursor, items: r.tools }; }));
    if (caps.prompts) add('prompt', await pages(async (cursor) => { const r = await client.listPrompts({ cursor }); return { nextCursor: r.nextCursor, items: r.prompts }; }));
    if (caps.resources) {
      add('resource', await pages(async (cursor) => { const r = await client.listResources({ cursor }); return { nextCursor: r.nextCursor, items: r.resources }; }));
      add('resourceTemplate', await pages(async (cursor) => { const r = await client.listResourceTemplates({ cursor }); return { nextCursor: r.nextCursor, items: r.resourceTemplates }; }));
    }
    return { id: server.id, version: client.getServerVersion()?.version ?? '?', instructions: client.getInstructions(), definitions: defs };
  } finally {
    await client.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
