// In-process budget store (single replica): the same reserve/settle semantics as the Redis store, without Redis.
import { randomUUID } from 'node:crypto';
import {
  assertMicros,
  DEFAULT_RESERVATION_TTL_MS,
  denial,
  normalizeLimits,
  periodWindow,
  SETTLE_MEMORY_MS,
  WINDOW_GRACE_MS,
  type BudgetStore,
  type BudgetStoreOptions,
  type Reservation,
  type ReservedWindow,
} from './budget-store.js';

interface Counter {
  spent: number;
  reserved: number;
  /** reservation id → held amount and expiry, so an abandoned hold can be reclaimed. */
  holds: Map<string, { amount: number; expiresAt: number }>;
  endsAt: number | null;
  /** Raised to the ledger's spend yet (always true without a ledger). */
  seeded: boolean;
}

type WindowRef = Pick<ReservedWindow, 'scope' | 'period' | 'window' | 'endsAt'>;

const SWEEP_EVERY_MS = 60_000;

export function createMemoryBudgetStore(opts: BudgetStoreOptions = {}): BudgetStore {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  const counters = new Map<string, Counter>();
  /** Reservations already settled or released → when we may forget that (keeps settle idempotent). */
  const finished = new Map<string, number>();
  let lastSweep = 0;
  const ledger = opts.ledger;
  /** Counter key → the ledger read in flight for it, so concurrent first calls on a scope wait for one read. */
  const seeding = new Map<string, Promise<void>>();

  const keyOf = (scope: string, window: string): string => `${scope}\u0000${window}`;

  function counter(w: WindowRef): Counter {
    const k = keyOf(w.scope, w.window);
    let c = counters.get(k);
    if (!c) {
      c = { spent: 0, reserved: 0, holds: new Map(), endsAt: w.endsAt, seeded: !ledger };
      counters.set(k, c);
    }
    return c;
  }

  /**
   * Rebuilds counters this process has not used yet from the ledger, before any reserve may touch them. Every reserve
   * on a window waits for its seed, and settles only follow reserves, so nothing booked here is missing from the sum.
   */
  async function seed(ws: WindowRef[]): Promise<void> {
    if (!ledger) return;
    const waits: Promise<void>[] = [];
    const load: WindowRef[] = [];
    for (const w of ws) {
      if (counter(w).seeded) continue;
      const inFlight = seeding.get(keyOf(w.scope, w.window));
      if (inFlight) waits.push(inFlight);
      else load.push(w);
    }
    if (load.length) {
      const p = ledger
        .load(load)
        .then((values) =>
          load.forEach((w, i) => {
            const c = counter(w);
            c.spent = Math.max(c.spent, values[i] ?? 0);
            c.seeded = true;
          }),
        )
        .finally(() => load.forEach((w) => seeding.delete(keyOf(w.scope, w.window))));
      for (const w of load) seeding.set(keyOf(w.scope, w.window), p);
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /** Gives back holds whose owner outlived the TTL (crashed or forgot to settle). */
  function reclaim(c: Counter, t: number): void {
    for (const [id, h] of c.holds) {
      if (h.expiresAt <= t) {
        c.reserved -= h.amount;
        c.holds.delete(id);
      }
    }
  }

  // Drops ended windows and old idempotency marks so a long-running process does not grow without bound.
  function sweep(t: number): void {
    if (t - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = t;
    for (const [k, c] of counters) if (c.endsAt !== null && c.endsAt + WINDOW_GRACE_MS <= t) counters.delete(k);
    for (const [id, until] of finished) if (until <= t) finished.delete(id);
  }

  function finish(r: Reservation, actual: number): boolean {
    if (finished.has(r.id)) return false;
    if (actual > 0) ledger?.record(r.windows, actual);
    finished.set(r.id, Math.max(r.expiresAt, now()) + SETTLE_MEMORY_MS);
    for (const w of r.windows) {
      const c = counter(w);
      const h = c.holds.get(r.id);
      if (h) {
        c.reserved -= h.amount;
        c.holds.delete(r.id);
      }
      c.spent += actual; // booked in the window the call started in, even if that window has since ended
    }
    return true;
  }

  return {
    async reserve(limits, amountMicros) {
      assertMicros(amountMicros, 'amount');
      const t = now();
      sweep(t);
      const checks = normalizeLimits(limits).map((l) => ({ l, w: { scope: l.scope, period: l.period, ...periodWindow(l.period, t) } }));
      if (ledger && checks.some(({ w }) => !counter(w).seeded)) await seed(checks.map(({ w }) => w)); // no await once seeded
      // Check every scope before touching any: JS runs this block without interleaving, so it is atomic.
      for (const { l, w } of checks) {
        const c = counter(w);
        reclaim(c, t);
        if (c.spent + c.reserved + amountMicros > l.limitMicros) return denial(l, w.endsAt, c.spent, c.reserved, amountMicros, t);
      }
      const reservation: Reservation = { id: randomUUID(), amountMicros, windows: checks.map(({ w }): ReservedWindow => w), expiresAt: t + ttlMs };
      for (const { w } of checks) {
        const c = counter(w);
        c.reserved += amountMicros;
        c.holds.set(reservation.id, { amount: amountMicros, expiresAt: reservation.expiresAt });
      }
      return { ok: true, reservation };
    },

    async settle(reservation, actualMicros) {
      assertMicros(actualMicros, 'actual cost');
      return finish(reservation, actualMicros);
    },

    async release(reservation) {
      return finish(reservation, 0);
    },

    async usage(scope, period) {
      const t = now();
      const w = periodWindow(period, t);
      if (ledger) await seed([{ scope, period, ...w }]);
      const c = counters.get(keyOf(scope, w.window));
      if (!c) return { spentMicros: 0, reservedMicros: 0, window: w.window };
      reclaim(c, t);
      return { spentMicros: c.spent, reservedMicros: c.reserved, window: w.window };
    },
  };
}
