// Server→client requests reach the session whose call caused them: two sessions sampling at once through one upstream.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, stdioFixture, textOf, until, type Fixture } from '../helpers/mcp.js';

const KEYS = [
  { id: 'ka', key: 'sk-gw-isolation-key-a-0123456789' },
  { id: 'kb', key: 'sk-gw-isolation-key-b-0123456789' },
];

let fixture: Fixture;
let gw: RunningGateway;

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway({ keys: KEYS, mcpServers: { fixture: { type: 'http', url: fixture.url }, local: stdioFixture({ isolation: 'session' }) } });
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
});

/** Resolves once `n` parties arrived, or after `limitMs` so a broken relay fails by its results rather than hanging. */
function barrier(n: number, limitMs = 5_000) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  setTimeout(() => open(), limitMs).unref();
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

/** A client whose sampling answers carry its own name, after every other sampler has been asked too. */
async function sampler(name: string, key: string, wait: () => Promise<void>): Promise<{ client: Client; seen: string[] }> {
  // Each sampler is its own MCP session (its own connection to /mcp).
  const client = await connect(`${gw.url}/mcp`, { key, capabilities: { sampling: {} } });
  const seen: string[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    seen.push(String((req.params.messages[0]?.content as { text?: string }).text));
    await wait();
    return { role: 'assistant', content: { type: 'text', text: `${name}-answer` }, model: name, stopReason: 'endTurn' };
  });
  return { client, seen };
}

describe('per-session relay of server→client requests', () => {
  it('sends each session its own sampling request while both are in flight on one upstream connection', async () => {
    const wait = barrier(2);
    const a = await sampler('a', KEYS[0]!.key, wait);
    const b = await sampler('b', KEYS[1]!.key, wait);
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'question of a' } }),
      b.client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'question of b' } }),
    ]);
    expect(ra.isError).toBeFalsy();
    expect(rb.isError).toBeFalsy();
    expect(textOf(ra)).toBe('LLM response: a-answer');
    expect(textOf(rb)).toBe('LLM response: b-answer');
    expect(a.seen).toEqual(['question of a']);
    expect(b.seen).toEqual(['question of b']);
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it('keeps it up under many concurrent calls from both sessions', async () => {
    const wait = () => Promise.resolve();
    const a = await sampler('a', KEYS[0]!.key, wait);
    const b = await sampler('b', KEYS[1]!.key, wait);
    const calls = Array.from({ length: 10 }, (_, i) => {
      const s = i % 2 ? b : a;
      return s.client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: `q${i}` } }).then((r) => [i, textOf(r)] as const);
    });
    for (const [i, text] of await Promise.all(calls)) expect(text).toBe(`LLM response: ${i % 2 ? 'b' : 'a'}-answer`);
    expect(a.seen.sort()).toEqual(['q0', 'q2', 'q4', 'q6', 'q8']);
    expect(b.seen.sort()).toEqual(['q1', 'q3', 'q5', 'q7', 'q9']);
    await Promise.all([a.client.close(), b.client.close()]);
  });
});

describe('isolation: session (a stdio server: no stream to tell calls apart)', () => {
  it('gives each session its own process, so concurrent sampling reaches the right session', async () => {
    const wait = barrier(2);
    const a = await sampler('a', KEYS[0]!.key, wait);
    const b = await sampler('b', KEYS[1]!.key, wait);
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'local__test_sampling', arguments: { prompt: 'question of a' } }),
      b.client.callTool({ name: 'local__test_sampling', arguments: { prompt: 'question of b' } }),
    ]);
    expect(textOf(ra)).toBe('LLM response: a-answer');
    expect(textOf(rb)).toBe('LLM response: b-answer');
    expect(a.seen).toEqual(['question of a']);
    expect(b.seen).toEqual(['question of b']);
    const pid = async (c: Client) => textOf(await c.callTool({ name: 'local__pid' }));
    const [pa, pb] = [await pid(a.client), await pid(b.client)];
    expect(pa).not.toBe(pb);
    expect(await pid(a.client)).toBe(pa);
    // Listing still comes from the server's shared connection: a third process.
    expect((gw.deps.hub.health().local as { pid?: number }).pid).not.toBe(Number(pa));
    // Ending session a ends its process; b's keeps running.
    await (a.client.transport as StreamableHTTPClientTransport).terminateSession();
    const alive = (pid: string) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !alive(pa), 'session a\'s process to exit');
    expect(alive(pb)).toBe(true);
    await Promise.all([a.client.close(), b.client.close()]);
  });
});
