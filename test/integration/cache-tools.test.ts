// Opt-in tool-result caching through the MCP SDK Client: only a named, read-only-annotated tool is answered from the cache.
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, textOf } from '../helpers/mcp.js';
import { startMetaServer, type MetaServer } from '../helpers/mcp-meta-server.js';

type Rows = Array<Record<string, unknown>>;
const rowsOf = (res: unknown): Rows => (Array.isArray(res) ? res : (res as { rows: Rows }).rows) as Rows;

let meta: MetaServer;
let gw: RunningGateway;
let client: Client;
const session = `tools-${randomUUID()}`;

beforeAll(async () => {
  meta = await startMetaServer();
  gw = await startTestGateway({
    mcpServers: { fx: { type: 'http', url: meta.url } },
    // Both tools are named by the rule; only `lookup` is annotated read-only, so only it is cached.
    cache: { tools: [{ server: 'fx', tool: '*', ttlMs: 60_000 }] },
    keys: KEYS,
  });
  client = await connect(`${gw.url}/mcp`, { headers: { 'x-session-id': session } });
});
afterAll(async () => {
  await client?.close();
  await gw?.stop();
  await meta?.close();
});

const call = async (name: string, q: string) => textOf(await client.callTool({ name: `fx__${name}`, arguments: { q } }));

describe('tool-result cache', () => {
  it('answers a repeated read-only call from the cache, keyed by its arguments', async () => {
    const q = randomUUID();
    const first = await call('lookup', q);
    expect(await call('lookup', q)).toBe(first);
    expect(await call('lookup', `${q}-other`)).not.toBe(first);
  });

  it('never caches a tool the upstream does not annotate read-only or idempotent', async () => {
    const q = randomUUID();
    expect(await call('bump', q)).not.toBe(await call('bump', q));
  });

  it('marks the trail: miss, then hit', async () => {
    await gw.deps.requestLog.flush();
    await gw.deps.audit.flush();
    const db = gw.deps.database.db;
    const logged = rowsOf(await db.execute(sql`select model_requested, cache from request_log where session_id = ${session} order by id`));
    expect(logged.map((r) => [r.model_requested, r.cache])).toEqual([
      ['fx__lookup', 'miss'],
      ['fx__lookup', 'hit'],
      ['fx__lookup', 'miss'],
      ['fx__bump', null],
      ['fx__bump', null],
    ]);
    const events = rowsOf(await db.execute(sql`select cache from audit_events where session_id = ${session} and kind = 'tool_call' order by seq`));
    expect(events.map((e) => e.cache)).toEqual(['miss', 'hit', 'miss', null, null]);
  });
});
