// The replica relay over a real Redis: calls answered across replicas, errors carried as JSON-RPC has them, and every way a
// call ends without an answer (holder gone, silent, cancelled, too large, closed) ending it promptly instead of hanging.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createReplicaRelay, RELAY_LIMITS, RelayRemoteError, RelayUnavailable, type RelayLimits, type ReplicaRelay } from '../../src/mcp/inbound/replica-relay.js';
import { RpcError } from '../../src/mcp/upstream/rpc.js';
import { openRedis, type SharedRedis } from '../../src/storage/redis.js';
import { until } from '../helpers/mcp.js';

const log = createLogger('silent');

describe.runIf(process.env.REDIS_URL)('replica relay (needs REDIS_URL: replicas talk through Redis pub/sub)', () => {
  const shared: SharedRedis[] = [];
  const relays: ReplicaRelay[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) shared.push((await openRedis(process.env.REDIS_URL, log))!);
  });
  afterAll(async () => {
    relays.forEach((r) => r.close());
    for (const r of shared) await r.close();
  });

  /** A relay on replica `i`'s Redis connections, once it hears its channel. */
  async function relay(i: number, limits: Partial<RelayLimits> = {}): Promise<ReplicaRelay> {
    const r = createReplicaRelay(shared[i]!, log, { ...RELAY_LIMITS, ...limits });
    relays.push(r);
    await r.ready;
    return r;
  }
  const failure = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err);

  it('runs the handler of the replica called, with its answer or its JSON-RPC error', async () => {
    const [a, b] = [await relay(0), await relay(1)];
    b.serve('echo', async (body) => {
      const q = body as { fail?: boolean; text: string };
      if (q.fail) throw new RpcError(-32002, 'Resource not found: x', { uri: 'x' });
      return { echoed: q.text };
    });
    expect(await a.call(b.id, 'echo', { text: 'hi' })).toEqual({ echoed: 'hi' });
    const err = await failure(a.call(b.id, 'echo', { text: 'x', fail: true }));
    expect(err).toBeInstanceOf(RelayRemoteError);
    expect(err).toMatchObject({ code: -32002, message: 'Resource not found: x', data: { uri: 'x' } });
  });

  it('broadcasts to the other replicas, not back to the sender', async () => {
    const [a, b] = [await relay(0), await relay(1)];
    const heard: string[] = [];
    a.onBroadcast('news', (body) => void heard.push(`a:${String(body)}`));
    b.onBroadcast('news', (body) => void heard.push(`b:${String(body)}`));
    await a.broadcast('news', 'one');
    await until(() => heard.length > 0, 'the broadcast');
    expect(heard).toEqual(['b:one']);
  });

  it('fails at once for a replica nobody listens for, and after the ack bound for one that never acknowledges', async () => {
    const a = await relay(0, { ackMs: 300 });
    expect(await failure(a.call('no-such-replica', 'echo', {}))).toMatchObject({ name: 'RelayUnavailable', reason: 'unreachable' });
    // Subscribed to the channel, never answering: a hung replica.
    const mute = new Redis(process.env.REDIS_URL!);
    await mute.subscribe('gw:mcp:relay:mute-replica');
    try {
      expect(await failure(a.call('mute-replica', 'echo', {}))).toMatchObject({ name: 'RelayUnavailable', reason: 'unreachable' });
    } finally {
      mute.disconnect();
    }
  });

  it('keeps a long call alive by heartbeats past the silence bound, and a replica that stops answering is given up', async () => {
    const a = await relay(0, { silenceMs: 500 });
    const b = await relay(1, { heartbeatMs: 50 });
    let release!: () => void;
    b.serve('slow', () => new Promise((r) => (release = () => r('done'))));
    const slow = a.call(b.id, 'slow', {});
    await until(() => release !== undefined, 'the slow handler to start');
    // Several silence bounds pass while b keeps beating.
    await new Promise((r) => setTimeout(r, 1_500));
    release();
    expect(await slow).toBe('done');

    const c = await relay(1, { heartbeatMs: 60_000 });
    c.serve('stuck', () => new Promise(() => undefined));
    expect(await failure(a.call(c.id, 'stuck', {}))).toMatchObject({ name: 'RelayUnavailable', reason: 'silent' });
  });

  it("tells the serving replica when the caller gives up, and aborts the handler's signal", async () => {
    const [a, b] = [await relay(0), await relay(1)];
    let aborted = false;
    let started = false;
    b.serve('wait', (_body, signal) => {
      started = true;
      return new Promise((_r, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted')))));
    });
    const ac = new AbortController();
    const call = failure(a.call(b.id, 'wait', {}, ac.signal));
    await until(() => started, 'the handler to start');
    ac.abort();
    expect(await call).toMatchObject({ name: 'RelayUnavailable', reason: 'cancelled' });
    await until(() => aborted, 'the handler to be aborted');
  });

  it('bounds sizes and waiting calls, and fails what waits when closed', async () => {
    const a = await relay(0, { maxBytes: 1_000, maxPending: 1 });
    const b = await relay(1, { maxBytes: 1_000 });
    let started = false;
    b.serve('big', async () => 'x'.repeat(5_000));
    b.serve('never', () => new Promise(() => void (started = true)));
    expect(await failure(a.call(b.id, 'echo', { text: 'y'.repeat(5_000) }))).toMatchObject({ name: 'RelayUnavailable', reason: 'too_large' });
    // An answer too large to send comes back as an error instead.
    expect(await failure(a.call(b.id, 'big', {}))).toMatchObject({ name: 'RelayRemoteError', code: -32603 });
    const waiting = failure(a.call(b.id, 'never', {}));
    await until(() => started, 'the call to reach the other replica');
    expect(await failure(a.call(b.id, 'never', {}))).toMatchObject({ name: 'RelayUnavailable', reason: 'busy' });
    a.close();
    expect(await waiting).toBeInstanceOf(RelayUnavailable);
    expect(await failure(a.call(b.id, 'never', {}))).toMatchObject({ reason: 'closed' });
  });
});
