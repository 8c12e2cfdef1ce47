// MCP sessions outlive their working store: a Redis restart without persistence and a gateway restart end no session
// (the record is read back from the database), while an ended session stays ended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, TEST_KEY, textOf, type Fixture } from '../helpers/mcp.js';
import { freePort, hasRedisServer, throwawayRedis, type ThrowawayRedis } from '../helpers/throwaway-redis.js';

const OTHER = { id: 'k-other', key: 'sk-gw-other-key-0123456789' };
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Same database for every gateway of a test: DATABASE_URL (CI) or a PGlite directory that outlives the process. */
function database(): Record<string, string> {
  if (process.env.DATABASE_URL) return {};
  const dir = mkdtempSync(join(tmpdir(), 'gw-mcp-sessions-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { dataDir: dir };
}

let fixture: Fixture;
async function fixtureServer(): Promise<Fixture> {
  if (!fixture) {
    fixture = await startFixture();
    cleanups.push(() => fixture.stop());
  }
  return fixture;
}

async function gateway(port: number, storage: Record<string, string>, redisUrl?: string): Promise<RunningGateway> {
  const f = await fixtureServer();
  return startTestGateway({ server: { port }, keys: [...KEYS, OTHER], mcpServers: { fixture: { type: 'http', url: f.url } }, storage: { ...storage, ...(redisUrl ? { redisUrl } : {}) } });
}

/** A raw request on a session, as a client that kept its id would send it. */
async function onSession(gw: RunningGateway, id: string): Promise<number> {
  const res = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  await res.text();
  return res.status;
}

const echo = async (c: Client, text: string) => textOf(await c.callTool({ name: 'fixture__echo', arguments: { text } }));
const sessionOf = (c: Client) => (c.transport as { sessionId?: string }).sessionId!;

describe.skipIf(!hasRedisServer)('a Redis restart without persistence', () => {
  it('keeps every open MCP session: the record comes back from the database', { timeout: 120_000 }, async () => {
    const redis: ThrowawayRedis = await throwawayRedis();
    await redis.start();
    cleanups.push(() => redis.stop());
    const gw = await gateway(0, database(), redis.url);
    cleanups.push(() => gw.stop());
    const client = await connect(`${gw.url}/mcp`);
    cleanups.push(() => client.close());
    expect(await echo(client, 'before')).toBe('fixture: before');

    await redis.stop();
    await redis.start();
    // The same client, the same session id: nothing to re-initialise.
    expect(await echo(client, 'after')).toBe('fixture: after');
    expect(await onSession(gw, sessionOf(client))).toBe(200);
  });
});

describe('a gateway restart', () => {
  it('keeps a session across the restart, and a session ended before it stays ended', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const storage = database();
    let gw = await gateway(port, storage);
    const kept = await connect(`${gw.url}/mcp`);
    cleanups.push(() => kept.close());
    const ended = await connect(`${gw.url}/mcp`);
    expect(await echo(kept, 'one')).toBe('fixture: one');
    const endedId = sessionOf(ended);
    await (ended.transport as StreamableHTTPClientTransport).terminateSession();
    await ended.close();
    expect(await onSession(gw, endedId)).toBe(404);

    await gw.stop();
    gw = await gateway(port, storage);
    cleanups.push(() => gw.stop());
    expect(await echo(kept, 'two')).toBe('fixture: two');
    expect(await onSession(gw, endedId)).toBe(404);
    // Someone else's key cannot take the session over.
    const other = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OTHER.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionOf(kept) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(other.status).toBe(404);
  });
});
