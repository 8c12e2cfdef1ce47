// The budget store contract (reserve → settle in integer micro-dollars) and the UTC period windows both stores share.
import { GatewayError } from '../errors.js';
import type { BudgetPeriod } from './types.js';

export type { BudgetPeriod } from './types.js';

/** One budget to check: `scope` is an id like `key:k1`, `team:t1`, `session:k1:abc`. */
export interface BudgetLimit {
  scope: string;
  period: BudgetPeriod;
  limitMicros: number;
}

/** The counter a reservation touched: scope + period + the window it fell in (fixed at reserve time). */
export interface ReservedWindow {
  scope: string;
  period: BudgetPeriod;
  /** `total`, `d2025-01-31` or `m2025-01`. */
  window: string;
  /** Unix ms when the window ends (null for `total`). */
  endsAt: number | null;
}

/** Plain JSON, so a colleague can carry it across an `await`, a stream or even a process boundary. */
export interface Reservation {
  id: string;
  amountMicros: number;
  windows: ReservedWindow[];
  /** Unix ms after which any store may reclaim the held amount (the holder is presumed dead). */
  expiresAt: number;
}

export interface BudgetDenial {
  ok: false;
  scope: string;
  period: BudgetPeriod;
  limitMicros: number;
  spentMicros: number;
  reservedMicros: number;
  /** Seconds until the window resets, when waiting can help; absent for `total` budgets spent out. */
  retryAfterSec?: number;
}

export type ReserveResult = { ok: true; reservation: Reservation } | BudgetDenial;

export interface BudgetUsage {
  spentMicros: number;
  reservedMicros: number;
  window: string;
}

export interface BudgetStore {
  /** Holds `amountMicros` on every scope, or on none: all-or-nothing across the list. */
  reserve(limits: BudgetLimit[], amountMicros: number): Promise<ReserveResult>;
  /**
   * Drops the hold and books the actual cost (also for aborted streams: pass what was used).
   * Idempotent: only the first settle or release of a reservation has an effect; returns whether this one did.
   */
  settle(reservation: Reservation, actualMicros: number): Promise<boolean>;
  /** Drops the hold without booking anything (the call never reached a provider). Same idempotency as settle. */
  release(reservation: Reservation): Promise<boolean>;
  usage(scope: string, period: BudgetPeriod): Promise<BudgetUsage>;
}

/**
 * The shared store (Redis) did not answer in time or is disconnected. Stores throw it instead of the client's own
 * error so the steps can apply the configured failure mode (closed: a 503 with retry-after; open: let the call pass).
 */
export class StoreUnavailableError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what} store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Seconds a client is told to wait while the shared store is down (ioredis retries the connection within ~2 s). */
export const STORE_RETRY_AFTER_SEC = 2;

/** The answer for a call refused because `what` (e.g. "Budgets") cannot be checked: a 503 with retry-after, never a 500; the cause stays in the log. */
export function storeUnavailableAnswer(what: string, cause: unknown): GatewayError {
  return new GatewayError('store_unavailable', `${what} cannot be checked right now (the gateway's shared store is unreachable). Retry in a few seconds.`, {
    headers: { 'retry-after': String(STORE_RETRY_AFTER_SEC) },
    cause,
  });
}

/**
 * Where settled spend is kept durably (the database; src/policy/spend-ledger.ts). A store given one books each settle
 * there too, and rebuilds a counter from it the first time it meets the counter empty: after a gateway restart
 * (memory store) or a Redis restart, flush or eviction (Redis store). Rebuilding only ever raises a counter (max).
 */
export interface BudgetLedger {
  /** Books a settle's actual cost on every window it touched; queues, never blocks or throws. */
  record(windows: ReservedWindow[], micros: number): void;
  /** Settled spend known for each window, in order; throws StoreUnavailableError when the database cannot tell. */
  load(windows: Array<Pick<ReservedWindow, 'scope' | 'period' | 'window'>>): Promise<number[]>;
}

export interface BudgetStoreOptions {
  /** Injected clock (tests move it across period boundaries). */
  now?: () => number;
  /** The durable spend ledger; without one, counters start at zero with the process (or the Redis keyspace). */
  ledger?: BudgetLedger;
  /**
   * How long a reservation holds money before any replica may reclaim it. Longer than the longest call
   * (the default upstream total timeout is 10 min), or a live stream would lose its hold.
   */
  reservationTtlMs?: number;
}

export const DEFAULT_RESERVATION_TTL_MS = 15 * 60_000;
/** How long past a reservation's expiry a repeated settle is still recognised as a repeat (bounds marker memory). */
export const SETTLE_MEMORY_MS = 3_600_000;
/** Past a window's end its counter stays readable this long (late settles, yesterday's usage). */
export const WINDOW_GRACE_MS = 7 * 86_400_000;

const DAY_MS = 86_400_000;

/** The UTC window `now` falls in for a period; ids derive from the window start so counters reset on their own. */
export function periodWindow(period: BudgetPeriod, now: number): { window: string; endsAt: number | null } {
  if (period === 'total') return { window: 'total', endsAt: null };
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const mm = String(m + 1).padStart(2, '0');
  if (period === 'monthly') return { window: `m${y}-${mm}`, endsAt: Date.UTC(y, m + 1, 1) };
  const start = Date.UTC(y, m, d.getUTCDate());
  return { window: `d${y}-${mm}-${String(d.getUTCDate()).padStart(2, '0')}`, endsAt: start + DAY_MS };
}

/** One entry per scope+period (the tightest limit wins) so a scope listed twice is not held twice. */
export function normalizeLimits(limits: BudgetLimit[]): BudgetLimit[] {
  const byKey = new Map<string, BudgetLimit>();
  for (const l of limits) {
    if (!Number.isSafeInteger(l.limitMicros) || l.limitMicros < 0) throw new RangeError(`budget limit for ${l.scope} must be a non-negative integer of micro-dollars`);
    const k = `${l.scope}\u0000${l.period}`;
    const prev = byKey.get(k);
    if (!prev || l.limitMicros < prev.limitMicros) byKey.set(k, l);
  }
  return [...byKey.values()];
}

export function assertMicros(amount: number, what: string): void {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`${what} must be a non-negative integer of micro-dollars, got ${amount}`);
}

/** The denial for a scope that failed the check, with a retry hint only when waiting can help. */
export function denial(limit: BudgetLimit, endsAt: number | null, spent: number, reserved: number, amount: number, now: number): BudgetDenial {
  const d: BudgetDenial = { ok: false, scope: limit.scope, period: limit.period, limitMicros: limit.limitMicros, spentMicros: spent, reservedMicros: reserved };
  if (spent + amount <= limit.limitMicros) d.retryAfterSec = 1; // only in-flight holds block; they settle within a call's time
  else if (endsAt !== null && amount <= limit.limitMicros) d.retryAfterSec = Math.max(1, Math.ceil((endsAt - now) / 1000));
  return d;
}
