// One batched writer for the request log and the audit trail: a bounded queue flushed by size or time, a spool for outages,
// and items the database refuses isolated into dead letters, so no single bad item ever blocks the ones behind it.
import type { Logger } from '../log.js';
import { dbErrorReason } from '../storage/db-error.js';
import type { Spool } from './spool.js';

export interface BatchSink<T> {
  /** Writes a batch all or nothing. `replay`: the items come from the spool, and some may be written already. */
  write(batch: T[], replay: boolean): Promise<void>;
  /** Whether an error means the store refused these items (their fault: isolate them) rather than an outage (retry later). */
  isRefusal(err: unknown): boolean;
  /** Keeps an item the store refuses as a dead letter; may return a stand-in to write in its place. Throws if it could not keep it. */
  reject(item: T, reason: string): Promise<T | null>;
}

export interface BatchWriterOptions<T = unknown> {
  /** For logs: `audit`, `request log`. */
  name: string;
  flushIntervalMs: number;
  maxBatch: number;
  /** Items held in memory; past this they go to the spool (or are dropped, loudly, without one). */
  maxQueue: number;
  /**
   * Bytes held in memory as `weigh` counts them; past this, as past maxQueue, items go to the spool. An item heavier than
   * the bound is still taken into an empty queue. Without `weigh`, only maxQueue bounds the queue.
   */
  maxQueueBytes?: number;
  weigh?: (item: T) => number;
  /** Writes failing for this long make the writer stuck: `accepting` turns false. */
  stuckAfterMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface BatchWriterStats {
  mode: 'memory' | 'spool';
  queued: number;
  /** What the queued items weigh (0 for a writer without `weigh`). */
  queuedBytes: number;
  spooled: number;
  spoolBytes: number;
  written: number;
  flushes: number;
  failures: number;
  dropped: number;
  /** Items the database refused even after sanitising, kept in `dead_letters`. */
  deadLettered: number;
  lastFlushMs: number;
  lastError: string | null;
  /** False while items are dropped (queue and spool full) or writes have failed for `stuckAfterMs`. */
  accepting: boolean;
}

export interface BatchWriter<T> {
  /** Queues items in order; never blocks, never throws. False when they had to be dropped. */
  write(items: T[]): boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): BatchWriterStats;
}

export function createBatchWriter<T>(sink: BatchSink<T>, log: Logger, opts: BatchWriterOptions<T>, spool: Spool<T> | null, now: () => number = Date.now): BatchWriter<T> {
  const queue: T[] = [];
  /** Each queued item's weight, in queue order (empty without `weigh`). */
  const weights: number[] = [];
  let queuedBytes = 0;
  const maxBytes = opts.maxQueueBytes ?? Infinity;
  let mode: 'memory' | 'spool' = spool && !spool.isEmpty() ? 'spool' : 'memory'; // leftovers of an earlier run go first
  let written = 0;
  let flushes = 0;
  let failures = 0;
  let dropped = 0;
  let deadLettered = 0;
  let lastFlushMs = 0;
  let lastError: string | null = null;
  let blocked = false;
  let failingSince = 0;
  let backoff = 0;
  let retryAt = 0;
  let running: Promise<void> | null = null;
  const base = opts.backoffBaseMs ?? 200;
  const max = opts.backoffMaxMs ?? 30_000;

  function drop(n: number, why: string): void {
    dropped += n;
    if (dropped === n || dropped % 1000 < n) log.error({ dropped }, `${opts.name}: ${why}, items dropped`);
  }

  /** Writes `batch`; on a refusal, halves it until the refused item is found and set aside. */
  async function writeIsolating(batch: T[], replay: boolean, done: (n: number) => void): Promise<void> {
    try {
      await sink.write(batch, replay);
      return done(batch.length);
    } catch (err) {
      if (!sink.isRefusal(err)) throw err;
      if (batch.length > 1) {
        const mid = Math.ceil(batch.length / 2);
        await writeIsolating(batch.slice(0, mid), replay, done);
        await writeIsolating(batch.slice(mid), replay, done);
        return;
      }
      let cause: unknown = err;
      try {
        await sink.write(batch, replay); // once more, in case it was a passing fault
        return done(1);
      } catch (again) {
        cause = again;
        if (!sink.isRefusal(again)) throw again;
      }
      await setAside(batch[0]!, dbErrorReason(cause), replay);
      done(1);
    }
  }

  async function setAside(item: T, reason: string, replay: boolean): Promise<void> {
    let standIn: T | null;
    try {
      standIn = await sink.reject(item, reason);
    } catch (err) {
      if (!sink.isRefusal(err)) throw err;
      return drop(1, 'a refused item could not be dead-lettered either');
    }
    deadLettered++;
    log.error({ reason: reason.slice(0, 300), deadLettered }, `${opts.name}: the database refused an item; kept as a dead letter`);
    if (!standIn) return;
    try {
      await sink.write([standIn], replay);
    } catch (err) {
      if (!sink.isRefusal(err)) throw err;
      drop(1, 'the stand-in for a dead letter was refused');
    }
  }

  const count = (n: number) => void (written += n);

  async function drain(): Promise<void> {
    for (;;) {
      const started = performance.now();
      if (queue.length) {
        await writeIsolating(queue.slice(0, opts.maxBatch), false, (n) => {
          queue.splice(0, n);
          for (const w of weights.splice(0, n)) queuedBytes -= w;
          written += n;
        });
      } else if (spool && !spool.isEmpty()) {
        const seg = await spool.oldest();
        if (!seg) continue;
        // A replay cut short (crash, outage) is replayed again; the sink skips what is already written where it can.
        for (let i = 0; i < seg.events.length; i += opts.maxBatch) await writeIsolating(seg.events.slice(i, i + opts.maxBatch), true, count);
        await spool.remove(seg.segment);
      } else {
        mode = 'memory';
        return;
      }
      lastFlushMs = performance.now() - started;
      flushes++;
      backoff = 0;
      failingSince = 0;
      blocked = false;
    }
  }

  function flush(force = false): Promise<void> {
    if (!force && now() < retryAt) return running ?? Promise.resolve();
    running ??= drain()
      .catch((err: unknown) => {
        failures++;
        lastError = dbErrorReason(err);
        failingSince ||= now();
        backoff = Math.min(max, backoff ? backoff * 2 : base);
        retryAt = now() + backoff;
        if (failures === 1 || failures % 10 === 0) log.warn({ err: lastError, queued: queue.length, retryInMs: backoff }, `${opts.name}: write failed, will retry`);
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void flush(), opts.flushIntervalMs);
  timer.unref();

  return {
    write(items) {
      const w = opts.weigh ? items.map(opts.weigh) : null;
      const bytes = w ? w.reduce((a, b) => a + b, 0) : 0;
      if (mode === 'memory' && queue.length + items.length <= opts.maxQueue && (queue.length === 0 || queuedBytes + bytes <= maxBytes)) {
        for (const it of items) queue.push(it);
        if (w) for (const x of w) weights.push(x);
        queuedBytes += bytes;
        if (queue.length >= opts.maxBatch && !running) void flush();
        return true;
      }
      // Once anything is spooled, later items follow it there, so replay keeps the order.
      let spooled = false;
      try {
        spooled = spool?.append(items) ?? false;
      } catch (err) {
        log.error({ err: (err as Error).message }, `${opts.name}: could not serialise items for the spool`);
      }
      if (spooled) {
        if (mode === 'memory') log.warn({ queued: queue.length, queuedBytes }, `${opts.name}: queue full, spooling to disk`);
        mode = 'spool';
        return true;
      }
      blocked = true;
      drop(items.length, 'queue and spool full');
      return false;
    },
    flush: () => flush(true),
    async close() {
      clearInterval(timer);
      for (let attempt = 0; attempt < 3; attempt++) {
        await running;
        await flush(true);
        if (!queue.length && (!spool || spool.isEmpty())) break;
        await new Promise((r) => setTimeout(r, base));
      }
      await running;
      if (queue.length && spool) {
        const n = queue.length;
        await spool.prepend(queue.splice(0)).then(
          () => log.warn({ spooled: n }, `${opts.name}: database unavailable at shutdown; items spooled for the next start`),
          (err: Error) => log.error({ err: err.message, lost: n }, `${opts.name}: could not spool at shutdown`),
        );
      } else if (queue.length) {
        log.error({ lost: queue.length }, `${opts.name}: items not written at shutdown`);
      }
      await spool?.settle();
    },
    stats() {
      const s = spool?.stats();
      const stuck = failingSince > 0 && now() - failingSince >= opts.stuckAfterMs;
      return { mode, queued: queue.length, queuedBytes, spooled: s?.events ?? 0, spoolBytes: s?.bytes ?? 0, written, flushes, failures, dropped, deadLettered, lastFlushMs, lastError, accepting: !blocked && !stuck };
    },
  };
}
