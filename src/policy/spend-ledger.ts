// The spend ledger: settled budget spend summed in memory per (scope, window) and added to budget_spend in batches.
import type { Logger } from '../log.js';
import { dbErrorReason, isRefusal } from '../storage/db-error.js';
import { spendKey, type SpendDelta, type SpendRepo } from '../storage/spend-repo.js';
import type { Repo } from '../storage/repo.js';
import { createBatchWriter, type BatchWriterStats } from '../tracing/batch-writer.js';
import { StoreUnavailableError, type BudgetLedger } from './budget-store.js';

/*
 * Why batched and not one upsert per settle: a settle runs after every priced call, and the gateway's overhead target is
 * well under a millisecond, so the request path only adds to an in-memory sum (a Map lookup). Every `flushIntervalMs`
 * the sums are handed to the shared batched writer (src/tracing/batch-writer.ts: retries with backoff, refused items set
 * aside) as one delta per (scope, window), written as one `insert … on conflict do update set spent = spent + excluded`.
 * While the database is failing, no new hand-off is made: sums keep collecting in memory, one entry per scope and window,
 * so an outage costs bounded memory. No disk spool: deltas are additions, and replaying a partly written spool segment
 * would book them twice.
 * Recovery window: spend settled but not yet written (at most one flush interval, plus the length of a database outage)
 * is lost if the process crashes; a graceful stop writes it. A write that commits but times out on the way back is
 * retried and booked twice (over-counting, the safe side for a budget).
 */

export const SPEND_FLUSH_INTERVAL_MS = 500;
/** Daily and monthly rows are kept this long after their last settle (a monthly window is at most 31 days). */
export const SPEND_KEEP_WINDOWS_MS = 90 * 86_400_000;
/** The prune runs this long after start, off the startup path. */
const PRUNE_AFTER_MS = 60_000;
/** A first call on a scope waits this long at most for the ledger read before the budget step's failure mode applies. */
export const SPEND_LOAD_TIMEOUT_MS = 2_000;

export interface SpendLedger extends BudgetLedger {
  /** Hands every sum to the writer and waits for the write (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): BatchWriterStats;
}

export interface SpendLedgerOptions {
  flushIntervalMs?: number;
  loadTimeoutMs?: number;
}

export function createSpendLedger(repo: Pick<SpendRepo, 'addSpend' | 'loadSpend' | 'pruneSpend'> & Partial<Pick<Repo, 'insertDeadLetter'>>, log: Logger, opts: SpendLedgerOptions = {}): SpendLedger {
  const interval = opts.flushIntervalMs ?? SPEND_FLUSH_INTERVAL_MS;
  const loadTimeout = opts.loadTimeoutMs ?? SPEND_LOAD_TIMEOUT_MS;
  /** Settled here, not yet handed to the writer. */
  let pending = new Map<string, SpendDelta>();
  /** Handed to the writer, not yet known to be written: a ledger read adds these (they may be missing from the rows). */
  const unconfirmed = new Map<string, number>();

  const unconfirm = (batch: SpendDelta[]): void => {
    for (const d of batch) {
      const k = spendKey(d.scope, d.window);
      const left = (unconfirmed.get(k) ?? 0) - d.micros;
      if (left > 0) unconfirmed.set(k, left);
      else unconfirmed.delete(k);
    }
  };

  const writer = createBatchWriter<SpendDelta>(
    {
      async write(batch) {
        await repo.addSpend(batch);
        unconfirm(batch);
      },
      isRefusal,
      // Only an out-of-range sum can be refused: it is kept as a dead letter for an operator to book by hand.
      async reject(item, reason) {
        unconfirm([item]);
        log.error({ scope: item.scope, window: item.window, micros: item.micros, reason }, 'spend ledger: the database refused a spend delta; kept as a dead letter');
        await repo.insertDeadLetter?.('budget_spend', reason, item);
        return null;
      },
    },
    log,
    { name: 'spend ledger', flushIntervalMs: interval, maxBatch: 1000, maxQueue: 1_000_000, stuckAfterMs: 30_000 },
    null,
  );

  function handOff(force: boolean): void {
    if (!pending.size || (!force && writer.stats().queued > 0)) return;
    const batch = [...pending.values()];
    pending = new Map();
    for (const d of batch) {
      const k = spendKey(d.scope, d.window);
      unconfirmed.set(k, (unconfirmed.get(k) ?? 0) + d.micros);
    }
    writer.write(batch);
  }

  const timer = setInterval(() => {
    const idle = writer.stats().queued === 0;
    handOff(false);
    if (idle) void writer.flush(); // a failing writer retries on its own backoff; only a healthy one is pushed
  }, interval);
  timer.unref();
  const prune = setTimeout(() => {
    repo.pruneSpend(new Date(Date.now() - SPEND_KEEP_WINDOWS_MS)).then(
      (n) => n && log.info({ rows: n }, 'spend ledger: pruned ended budget windows'),
      (err: unknown) => log.warn({ err: dbErrorReason(err) }, 'spend ledger: could not prune ended budget windows'),
    );
  }, PRUNE_AFTER_MS);
  prune.unref();

  return {
    record(windows, micros) {
      if (micros <= 0) return;
      for (const w of windows) {
        const k = spendKey(w.scope, w.window);
        const d = pending.get(k);
        if (d) d.micros += micros;
        else pending.set(k, { scope: w.scope, period: w.period, window: w.window, micros });
      }
    },
    async load(windows) {
      // Read the sums not yet written before the rows: a delta confirmed after this point is already in the rows read.
      const local = windows.map((w) => {
        const k = spendKey(w.scope, w.window);
        return (pending.get(k)?.micros ?? 0) + (unconfirmed.get(k) ?? 0);
      });
      let timeout: NodeJS.Timeout | undefined;
      try {
        const rows = await Promise.race([
          repo.loadSpend(windows),
          new Promise<never>((_, reject) => {
            timeout = setTimeout(() => reject(new Error(`no answer within ${loadTimeout} ms`)), loadTimeout);
          }),
        ]);
        return windows.map((w, i) => (rows.get(spendKey(w.scope, w.window)) ?? 0) + local[i]!);
      } catch (err) {
        throw new StoreUnavailableError('budget ledger', new Error(dbErrorReason(err))); // the query text names scopes
      } finally {
        clearTimeout(timeout);
      }
    },
    async flush() {
      handOff(true);
      await writer.flush();
    },
    async close() {
      clearInterval(timer);
      clearTimeout(prune);
      handOff(true);
      await writer.close();
    },
    stats: () => writer.stats(),
  };
}
