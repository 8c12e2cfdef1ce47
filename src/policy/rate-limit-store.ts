// Per-minute request, token and tool-call limits per key and team (rate-limiter-flexible), with OpenAI-style headers.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { StoreUnavailableError } from './budget-store.js';

export type RateDimension = 'requests' | 'tokens' | 'tool_calls';

export interface RateCheck {
  /** `key:k1`, `team:t1`. */
  scope: string;
  dimension: RateDimension;
  /** Narrows the counter, e.g. the tool name for per-tool call limits. */
  subject?: string;
  limitPerMinute: number;
  /** Units this call takes: 1 for requests and tool calls, the token estimate for tokens. */
  points?: number;
}

export interface RateState {
  scope: string;
  dimension: RateDimension;
  subject?: string;
  limit: number;
  remaining: number;
  /** Milliseconds until this window resets. */
  resetMs: number;
}

/** What consume() took, so adjust() can correct the token estimate once real usage is known. */
export interface RateTicket {
  entries: Array<{ check: RateCheck & { points: number }; windowEndsAt: number }>;
}

export type RateResult =
  | { ok: true; states: RateState[]; ticket: RateTicket }
  | { ok: false; denied: RateState; retryAfterSec: number; states: RateState[] };

export interface RateLimitStore {
  /** Takes points from every check, or (when any is over) from none: rejected calls do not eat the window. */
  consume(checks: RateCheck[]): Promise<RateResult>;
  /** Charges or refunds the difference between the consumed estimate and `actual` for one dimension (tokens). */
  adjust(ticket: RateTicket, dimension: RateDimension, actual: number): Promise<void>;
}

/** What the store does when Redis does not answer: count locally (limit / replicas), or throw StoreUnavailableError. */
export type RateLimitRedisFailure = 'local' | 'error';

export interface RateLimitStoreOptions {
  /**
   * Shared windows across replicas when given; in-process windows otherwise (right for one replica). Pass a client
   * whose commands fail fast (SharedRedis.policyClient): a command that waits is a request that waits.
   */
  redis?: Redis;
  keyPrefix?: string;
  /**
   * Replicas sharing the Redis. In `local` failure mode, when Redis fails, rate-limiter-flexible's insuranceLimiter
   * takes over in memory with limit / replicas per replica, so the fleet stays near the global limit instead of
   * failing open (unlimited) or closed (an outage of Redis becoming an outage of the gateway).
   * `rejectIfRedisNotReady` makes the switch immediate while the client reconnects; the client's command timeout
   * bounds the switch when a command is already in flight. Windows counted locally start empty, and Redis's own
   * windows resume where they were (or empty, after a restart without persistence) once it answers again.
   */
  replicas?: number;
  /** Default `local`; `error` lets the caller decide (fail open or closed) on a StoreUnavailableError. */
  onRedisFailure?: RateLimitRedisFailure;
  now?: () => number;
}

const WINDOW_SEC = 60;

export function createRateLimitStore(opts: RateLimitStoreOptions = {}): RateLimitStore {
  const prefix = `${opts.keyPrefix ?? 'gw:'}rl`;
  const replicas = Math.max(1, opts.replicas ?? 1);
  const now = opts.now ?? Date.now;
  const local = (opts.onRedisFailure ?? 'local') === 'local';
  // One limiter per (dimension, limit): points is limiter config, but Redis counters are keyed only by the key,
  // so a changed limit keeps counting the same window.
  const limiters = new Map<string, RateLimiterAbstract>();

  function limiter(dimension: RateDimension, limit: number): RateLimiterAbstract {
    const id = `${dimension}:${limit}`;
    let l = limiters.get(id);
    if (!l) {
      const base = { keyPrefix: prefix, points: limit, duration: WINDOW_SEC };
      l = opts.redis
        ? new RateLimiterRedis({
            ...base,
            storeClient: opts.redis,
            rejectIfRedisNotReady: true,
            ...(local ? { insuranceLimiter: new RateLimiterMemory({ ...base, points: Math.max(1, Math.floor(limit / replicas)) }) } : {}),
          })
        : new RateLimiterMemory(base);
      limiters.set(id, l);
    }
    return l;
  }

  const keyOf = (c: RateCheck): string => `${c.dimension}:${c.scope}${c.subject ? `:${c.subject}` : ''}`;

  async function take(c: RateCheck & { points: number }): Promise<{ res: RateLimiterRes; ok: boolean }> {
    try {
      return { res: await limiter(c.dimension, c.limitPerMinute).consume(keyOf(c), c.points), ok: true };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { res: err, ok: false };
      // A store failure with no insurance: the caller decides whether that fails open or closed.
      throw new StoreUnavailableError('rate-limit', err);
    }
  }

  /** Gives points back only inside the same window: in a fresh window a refund would mint extra capacity. */
  async function refund(c: RateCheck, points: number, windowEndsAt: number): Promise<void> {
    if (points <= 0 || now() >= windowEndsAt) return;
    await limiter(c.dimension, c.limitPerMinute).reward(keyOf(c), points);
  }

  function state(c: RateCheck & { points: number }, res: RateLimiterRes, consumed: number): RateState {
    const s: RateState = { scope: c.scope, dimension: c.dimension, limit: c.limitPerMinute, remaining: Math.max(0, c.limitPerMinute - consumed), resetMs: Math.max(0, res.msBeforeNext) };
    if (c.subject) s.subject = c.subject;
    return s;
  }

  return {
    async consume(checks) {
      const full = checks.map((c) => {
        const points = c.points ?? 1;
        if (!Number.isSafeInteger(points) || points < 0) throw new RangeError(`rate-limit points must be a non-negative integer, got ${points}`);
        return { ...c, points };
      });
      const t = now();
      const taken = await Promise.all(full.map(take));
      const rejected = taken.findIndex((r) => !r.ok);
      if (rejected < 0) {
        return {
          ok: true,
          states: taken.map((r, i) => state(full[i]!, r.res, r.res.consumedPoints)),
          ticket: { entries: taken.map((r, i) => ({ check: full[i]!, windowEndsAt: t + r.res.msBeforeNext })) },
        };
      }
      // rate-limiter-flexible counts a rejected consume too; undo every take so a denied call costs nothing.
      // Best effort: with Redis gone the refund is lost, and the denial must still be a denial, not a store error.
      await Promise.all(taken.map((r, i) => refund(full[i]!, full[i]!.points, t + r.res.msBeforeNext).catch(() => undefined)));
      const states = taken.map((r, i) => state(full[i]!, r.res, r.res.consumedPoints - full[i]!.points));
      const denied = states[rejected]!;
      return { ok: false, denied, retryAfterSec: Math.max(1, Math.ceil(denied.resetMs / 1000)), states };
    },

    async adjust(ticket, dimension, actual) {
      if (!Number.isSafeInteger(actual) || actual < 0) throw new RangeError(`actual usage must be a non-negative integer, got ${actual}`);
      await Promise.all(
        ticket.entries
          .filter((e) => e.check.dimension === dimension)
          .map(async (e) => {
            const delta = actual - e.check.points;
            // Extra usage is charged even in a later window: those tokens were produced now, not back then.
            if (delta > 0) await limiter(e.check.dimension, e.check.limitPerMinute).penalty(keyOf(e.check), delta);
            else await refund(e.check, -delta, e.windowEndsAt);
          }),
      );
    },
  };
}

/** `20ms`, `1.5s`, `6m0s`: the duration format of OpenAI's `x-ratelimit-reset-*` headers. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  return `${Math.floor(s / 60)}m${Number((s % 60).toFixed(3))}s`;
}

/** OpenAI's `x-ratelimit-*-requests` / `-tokens` headers from the tightest state per dimension, plus `retry-after`. */
export function rateLimitHeaders(result: RateResult): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const dimension of ['requests', 'tokens'] as const) {
    const tightest = result.states
      .filter((s) => s.dimension === dimension)
      .reduce<RateState | null>((a, s) => (!a || s.remaining < a.remaining || (s.remaining === a.remaining && s.resetMs > a.resetMs) ? s : a), null);
    if (!tightest) continue;
    headers[`x-ratelimit-limit-${dimension}`] = String(tightest.limit);
    headers[`x-ratelimit-remaining-${dimension}`] = String(tightest.remaining);
    headers[`x-ratelimit-reset-${dimension}`] = formatResetDuration(tightest.resetMs);
  }
  if (!result.ok) headers['retry-after'] = String(result.retryAfterSec);
  return headers;
}
