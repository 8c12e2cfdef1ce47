// A stalled event loop is not a Redis outage: a policy command whose reply arrived while the loop was busy must resolve,
// not time out because its timer happened to be checked before the socket was read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openRedis, type SharedRedis } from '../../src/storage/redis.js';

const REDIS = process.env.REDIS_URL;
let redis: SharedRedis | null = null;

beforeAll(async () => {
  redis = await openRedis(REDIS, createLogger('silent'));
});
afterAll(async () => {
  await redis?.close();
});

/** Blocks the event loop, as a long synchronous job (a big JSON body, a GC pause) does. */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

describe.skipIf(!REDIS)('policy connection under event-loop stalls', () => {
  it('resolves a command whose reply came in while the loop was blocked past the command timeout', async () => {
    const policy = redis!.policyClient(50);
    await policy.ping(); // connected and warm
    for (let i = 0; i < 5; i++) {
      const reply = policy.ping(`lag-${i}`);
      // The auto-pipeline writes from a setImmediate; block right after it (same check phase), so the reply waits in the socket.
      await new Promise<void>((r) => setImmediate(() => (stall(200), r())));
      await expect(reply).resolves.toBe(`lag-${i}`);
    }
  });

  it('still times out a command Redis never answers', async () => {
    const policy = redis!.policyClient(100);
    // CLIENT PAUSE holds every command of every client for 600 ms: an unanswered command, not a busy loop.
    await redis!.client.call('client', 'pause', '600', 'ALL');
    await expect(policy.ping('paused')).rejects.toThrow(/timed out/i);
    await new Promise((r) => setTimeout(r, 700));
    await expect(policy.ping('back')).resolves.toBe('back');
  });
});
