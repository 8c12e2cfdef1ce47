// MCP messages between gateway replicas over Redis pub/sub: broadcasts every replica hears, and calls to one replica answered with an ack, heartbeats and a reply; message sizes, waiting maps and waits all bounded.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import type { SharedRedis } from '../../storage/redis.js';

const PREFIX = 'gw:mcp:relay';
const BROADCAST = `${PREFIX}:all`;
const channelOf = (replica: string) => `${PREFIX}:${replica}`;

export interface RelayLimits {
  /** Largest message (serialized JSON) a replica sends or reads. */
  maxBytes: number;
  /** Calls waiting for a reply, and calls being served, each at most this many. */
  maxPending: number;
  /** A called replica that has not acknowledged within this is taken as gone. */
  ackMs: number;
  /** A replica serving a call says so this often; a caller that heard nothing for `silenceMs` gives up. */
  heartbeatMs: number;
  silenceMs: number;
  /** No call waits longer than this in all. */
  maxWaitMs: number;
}

export const RELAY_LIMITS: RelayLimits = { maxBytes: 8 * 1024 * 1024, maxPending: 1_000, ackMs: 5_000, heartbeatMs: 5_000, silenceMs: 20_000, maxWaitMs: 660_000 };

export type RelayFailure = 'unreachable' | 'silent' | 'busy' | 'too_large' | 'cancelled' | 'closed';

/** The called replica did not answer: it is gone or silent, the call was cancelled, or a bound was hit. */
export class RelayUnavailable extends Error {
  constructor(
    readonly reason: RelayFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RelayUnavailable';
  }
}

/** The called replica's handler failed: its error as JSON-RPC has it. */
export class RelayRemoteError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RelayRemoteError';
  }
}

export interface ReplicaRelay {
  /** This replica's id: the name other replicas call it by. */
  readonly id: string;
  /** Settles once this replica hears its channel and the broadcasts (a failed subscription is logged, never thrown). */
  readonly ready: Promise<void>;
  /** To every other replica's `onBroadcast(topic)` handler. */
  broadcast(topic: string, body: unknown): Promise<void>;
  onBroadcast(topic: string, fn: (body: unknown) => void): void;
  /** Runs `replica`'s `serve(topic)` handler; rejects with RelayUnavailable or RelayRemoteError. */
  call(replica: string, topic: string, body: unknown, signal?: AbortSignal): Promise<unknown>;
  serve(topic: string, fn: (body: unknown, signal: AbortSignal) => Promise<unknown>): void;
  /** Fails the calls waiting here and aborts those being served (their replies still go out). */
  close(): void;
}

const RpcErrorSchema = z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() });
const EnvelopeSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('cast'), from: z.string(), topic: z.string(), body: z.unknown() }),
  z.object({ t: z.literal('call'), from: z.string(), corr: z.string(), topic: z.string(), body: z.unknown() }),
  z.object({ t: z.literal('cancel'), from: z.string(), corr: z.string() }),
  z.object({ t: z.literal('ack'), corr: z.string() }),
  z.object({ t: z.literal('alive'), corr: z.string() }),
  z.object({ t: z.literal('gone'), corr: z.string() }),
  z.object({ t: z.literal('reply'), corr: z.string(), body: z.unknown() }),
  z.object({ t: z.literal('fail'), corr: z.string(), error: RpcErrorSchema }),
]);
type Envelope = z.infer<typeof EnvelopeSchema>;

/** A handler's error as the SDK would have rendered it for the client (a non-integer code is an internal error). */
function rpcErrorOf(err: unknown): z.infer<typeof RpcErrorSchema> {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  const code = typeof e.code === 'number' && Number.isSafeInteger(e.code) ? e.code : -32603;
  return { code, message: typeof e.message === 'string' ? e.message : 'Internal error', ...(e.data !== undefined ? { data: e.data } : {}) };
}

/** One subscription to the broadcast channel per Redis connection set, shared by every relay made on it (tests run several). */
const broadcastFans = new WeakMap<SharedRedis, { listeners: Set<(raw: string) => void>; ready: Promise<void> }>();
function fanOf(redis: SharedRedis) {
  let fan = broadcastFans.get(redis);
  if (!fan) {
    const listeners = new Set<(raw: string) => void>();
    fan = { listeners, ready: redis.subscribe(BROADCAST, (raw) => listeners.forEach((l) => l(raw))) };
    broadcastFans.set(redis, fan);
  }
  return fan;
}

interface Waiting {
  replica: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  live?: NodeJS.Timeout;
  total: NodeJS.Timeout;
  cleanup(): void;
}

export function createReplicaRelay(redis: SharedRedis, log: Logger, limits: RelayLimits = RELAY_LIMITS): ReplicaRelay {
  const id = randomUUID();
  const casts = new Map<string, (body: unknown) => void>();
  const handlers = new Map<string, (body: unknown, signal: AbortSignal) => Promise<unknown>>();
  const waiting = new Map<string, Waiting>();
  const serving = new Map<string, AbortController>();
  let closed = false;

  function encode(msg: Envelope): string {
    const raw = JSON.stringify(msg);
    if (Buffer.byteLength(raw) > limits.maxBytes) throw new RelayUnavailable('too_large', 'The message is too large to relay between gateway replicas.');
    return raw;
  }
  const send = async (channel: string, msg: Envelope): Promise<number> => redis.client.publish(channel, encode(msg));
  const tell = (replica: string, msg: Envelope) => void send(channelOf(replica), msg).catch((err: Error) => log.warn({ err: err.message }, 'mcp relay: could not reach a replica'));

  function fail(corr: string, err: Error, tellCancel = false): void {
    const w = waiting.get(corr);
    if (!w) return;
    waiting.delete(corr);
    w.cleanup();
    if (tellCancel) tell(w.replica, { t: 'cancel', from: id, corr });
    w.reject(err);
  }
  /** (Re)starts the liveness timer: the replica must ack (then keep saying it is alive) within `ms`. */
  function arm(corr: string, w: Waiting, ms: number, reason: RelayFailure): void {
    clearTimeout(w.live);
    w.live = setTimeout(() => fail(corr, new RelayUnavailable(reason, 'The gateway replica holding this request did not answer.'), true), ms);
    w.live.unref();
  }

  async function serveCall(m: Extract<Envelope, { t: 'call' }>): Promise<void> {
    const key = `${m.from}\0${m.corr}`;
    const fn = handlers.get(m.topic);
    if (closed || !fn) return tell(m.from, { t: 'gone', corr: m.corr });
    if (serving.size >= limits.maxPending || serving.has(key)) return tell(m.from, { t: 'fail', corr: m.corr, error: { code: -32603, message: 'The gateway replica holding this request is too busy; try again later.' } });
    const ac = new AbortController();
    serving.set(key, ac);
    const beat = setInterval(() => tell(m.from, { t: 'alive', corr: m.corr }), limits.heartbeatMs);
    beat.unref();
    tell(m.from, { t: 'ack', corr: m.corr });
    let answer: Envelope;
    try {
      answer = { t: 'reply', corr: m.corr, body: await fn(m.body, ac.signal) };
    } catch (err) {
      answer = { t: 'fail', corr: m.corr, error: rpcErrorOf(err) };
    } finally {
      clearInterval(beat);
      serving.delete(key);
    }
    await send(channelOf(m.from), answer).catch((err: Error) => {
      const error = err instanceof RelayUnavailable ? { code: -32603, message: err.message } : { code: -32603, message: 'The answer could not be relayed between gateway replicas.' };
      log.warn({ err: err.message }, 'mcp relay: could not send a reply');
      tell(m.from, { t: 'fail', corr: m.corr, error });
    });
  }

  function receive(raw: string): void {
    if (raw.length > limits.maxBytes) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return;
    }
    const parsed = EnvelopeSchema.safeParse(json);
    if (!parsed.success) return;
    const m = parsed.data;
    const w = 'corr' in m ? waiting.get(m.corr) : undefined;
    switch (m.t) {
      case 'cast':
        if (m.from !== id && !closed) casts.get(m.topic)?.(m.body);
        return;
      case 'call':
        void serveCall(m);
        return;
      case 'cancel':
        serving.get(`${m.from}\0${m.corr}`)?.abort(new Error('The forwarding replica cancelled the request.'));
        return;
      case 'ack':
      case 'alive':
        if (w) arm(m.corr, w, limits.silenceMs, 'silent');
        return;
      case 'gone':
        return fail(m.corr, new RelayUnavailable('unreachable', 'The gateway replica holding this request is gone.'));
      case 'reply':
        if (!w) return;
        waiting.delete(m.corr);
        w.cleanup();
        return w.resolve(m.body);
      case 'fail':
        return fail(m.corr, new RelayRemoteError(m.error.code, m.error.message, m.error.data));
    }
  }

  const listen = (raw: string) => {
    try {
      receive(raw);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'mcp relay: a relayed message failed');
    }
  };
  const fan = fanOf(redis);
  fan.listeners.add(listen);
  const ready = Promise.all([fan.ready, redis.subscribe(channelOf(id), listen)]).then(
    () => undefined,
    (err: Error) => log.warn({ err: err.message }, 'mcp relay: could not subscribe; answers reaching another replica are lost'),
  );

  return {
    id,
    ready,
    async broadcast(topic, body) {
      await send(BROADCAST, { t: 'cast', from: id, topic, body });
    },
    onBroadcast: (topic, fn) => void casts.set(topic, fn),
    async call(replica, topic, body, signal) {
      if (closed) throw new RelayUnavailable('closed', 'The gateway is shutting down.');
      if (waiting.size >= limits.maxPending) throw new RelayUnavailable('busy', 'Too many requests are waiting on other gateway replicas.');
      await ready;
      const corr = randomUUID();
      const raw = encode({ t: 'call', from: id, corr, topic, body });
      if (signal?.aborted) throw new RelayUnavailable('cancelled', 'The request was cancelled.');
      return new Promise<unknown>((resolve, reject) => {
        const onAbort = () => fail(corr, new RelayUnavailable('cancelled', 'The request was cancelled.'), true);
        const total = setTimeout(() => fail(corr, new RelayUnavailable('silent', 'The gateway replica holding this request took too long.'), true), limits.maxWaitMs);
        total.unref();
        const w: Waiting = { replica, resolve, reject, total, cleanup: () => (clearTimeout(w.live), clearTimeout(total), signal?.removeEventListener('abort', onAbort)) };
        waiting.set(corr, w);
        arm(corr, w, limits.ackMs, 'unreachable');
        signal?.addEventListener('abort', onAbort, { once: true });
        // PUBLISH counts the subscribers that got it: none means the replica is gone (its channel is its own).
        redis.client.publish(channelOf(replica), raw).then(
          (n) => n === 0 && fail(corr, new RelayUnavailable('unreachable', 'The gateway replica holding this request is gone.')),
          (err: Error) => fail(corr, new RelayUnavailable('unreachable', `Redis: ${err.message}`)),
        );
      });
    },
    serve: (topic, fn) => void handlers.set(topic, fn),
    close() {
      closed = true;
      fan.listeners.delete(listen);
      // Callers then hear at once that this replica is gone (PUBLISH reaches no subscriber).
      void redis.unsubscribe(channelOf(id)).catch(() => undefined);
      for (const corr of [...waiting.keys()]) fail(corr, new RelayUnavailable('closed', 'The gateway is shutting down.'), true);
      for (const ac of serving.values()) ac.abort(new Error('The gateway is shutting down.'));
    },
  };
}
