// Batches request-log rows off the response path: a bounded queue flushed by size or time, and on close.
import type { Logger } from '../log.js';
import type { Repo } from '../storage/repo.js';
import type { RequestLogRow } from '../storage/schema.js';

export interface RequestLogWriter {
  /** Queues a row; never blocks and never throws. */
  write(row: RequestLogRow): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
  stats(): { queued: number; written: number; dropped: number; failures: number };
}

export interface RequestLogOptions {
  flushIntervalMs: number;
  maxBatch: number;
  maxQueue: number;
}

export function createRequestLogWriter(repo: Repo, log: Logger, opts: RequestLogOptions): RequestLogWriter {
  let queue: RequestLogRow[] = [];
  let written = 0;
  let dropped = 0;
  let failures = 0;
  let running: Promise<void> | null = null;

  async function drain(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, opts.maxBatch);
      try {
        await repo.insertRequestLogs(batch);
      } catch (err) {
        // Keep the rows and try again on the next tick; the queue bound protects memory.
        failures++;
        log.warn({ err: (err as Error).message, queued: queue.length }, 'request log: write failed, will retry');
        return;
      }
      queue = queue.slice(batch.length);
      written += batch.length;
    }
  }

  function flush(): Promise<void> {
    running ??= drain().finally(() => {
      running = null;
    });
    return running;
  }

  const timer = setInterval(() => void flush(), opts.flushIntervalMs);
  timer.unref();

  return {
    write(row) {
      if (queue.length >= opts.maxQueue) {
        dropped++;
        if (dropped === 1 || dropped % 1000 === 0) log.error({ dropped }, 'request log: queue full, dropping rows');
        return;
      }
      queue.push(row);
      if (queue.length >= opts.maxBatch && !running) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      // A failing database gets a few more tries before shutdown gives up on the rest.
      for (let attempt = 0; attempt < 3 && queue.length; attempt++) await flush();
      await running;
      if (queue.length) log.error({ lost: queue.length }, 'request log: rows not written at shutdown');
    },
    stats: () => ({ queued: queue.length, written, dropped, failures }),
  };
}

/** The writer when `requestLog.enabled` is false: drops every row. */
export function disabledRequestLog(): RequestLogWriter {
  let dropped = 0;
  return {
    write: () => void dropped++,
    flush: async () => {},
    close: async () => {},
    stats: () => ({ queued: 0, written: 0, dropped, failures: 0 }),
  };
}
