// Failed admin-key attempts per client address in a fixed window: shared through Redis when set, counted in-process otherwise.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../log.js';

/** `auth.adminThrottle`: `maxFailures` 0 turns the throttle off. */
export interface AdminThrottleSettings {
  maxFailures: number;
  windowSeconds: number;
}

export type ThrottleVerdict = { refused: false } | { refused: true; retryAfterSec: number };

export interface AdminThrottle {
  /**
   * A wrong key: counts it (one atomic increment) and says whether the address is now over the limit. Counting
   * before deciding keeps a burst of parallel guesses from slipping past a read-then-write check.
   */
  failed(address: string, settings: AdminThrottleSettings): Promise<ThrottleVerdict>;
  /** The right key (or no key): whether the address is locked out; counts nothing. */
  locked(address: string, settings: AdminThrottleSettings): Promise<ThrottleVerdict>;
}

export interface AdminThrottleOptions {
  /** Shared windows across replicas; pass a client whose commands fail fast (SharedRedis.policyClient). */
  redis?: Redis;
  keyPrefix?: string;
  /** Replicas sharing the Redis: while it is down, each counts locally with maxFailures / replicas (at least 1). */
  replicas?: number;
  log?: Logger;
}

const OPEN: ThrottleVerdict = { refused: false };

export function createAdminThrottle(opts: AdminThrottleOptions = {}): AdminThrottle {
  const keyPrefix = `${opts.keyPrefix ?? 'gw:'}authfail`;
  const replicas = Math.max(1, opts.replicas ?? 1);
  // Limiters per window length (the count is compared here, so the limit is not limiter config): a changed
  // maxFailures keeps counting the same window.
  const shared = new Map<number, RateLimiterAbstract>();
  const local = new Map<number, RateLimiterAbstract>();
  let degraded = false;

  const limiter = (pool: Map<number, RateLimiterAbstract>, windowSeconds: number, make: (o: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract) => {
    let l = pool.get(windowSeconds);
    if (!l) pool.set(windowSeconds, (l = make({ keyPrefix, points: 1, duration: windowSeconds })));
    return l;
  };
  const localLimiter = (w: number) => limiter(local, w, (o) => new RateLimiterMemory(o));
  const redis = opts.redis;
  const sharedLimiter = redis ? (w: number) => limiter(shared, w, (o) => new RateLimiterRedis({ ...o, storeClient: redis, rejectIfRedisNotReady: true })) : null;

  /**
   * Redis first; when it does not answer (down, reconnecting, slow past the command timeout), this replica counts
   * alone with its share of the limit: admins are not locked out by an outage, and guessing stays bounded.
   */
  async function run(settings: AdminThrottleSettings, op: (l: RateLimiterAbstract) => Promise<RateLimiterRes | null>): Promise<{ res: RateLimiterRes | null; limit: number }> {
    if (sharedLimiter) {
      try {
        const res = await op(sharedLimiter(settings.windowSeconds));
        if (degraded) opts.log?.info('admin auth throttle: Redis answers again; counting failures across replicas');
        degraded = false;
        return { res, limit: settings.maxFailures };
      } catch (err) {
        if (!degraded) opts.log?.warn({ err: (err as Error).message }, 'admin auth throttle: Redis unavailable; counting failures on this replica');
        degraded = true;
      }
    }
    const limit = sharedLimiter ? Math.max(1, Math.floor(settings.maxFailures / replicas)) : settings.maxFailures;
    return { res: await op(localLimiter(settings.windowSeconds)), limit };
  }

  const verdict = (res: RateLimiterRes | null, over: (consumed: number) => boolean): ThrottleVerdict =>
    res && res.msBeforeNext > 0 && over(res.consumedPoints) ? { refused: true, retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) } : OPEN;

  return {
    async failed(address, settings) {
      if (settings.maxFailures <= 0) return OPEN;
      // penalty() never rejects: it adds one and returns the window's count (a fresh window starts at this failure).
      const { res, limit } = await run(settings, (l) => l.penalty(address, 1));
      return verdict(res, (consumed) => consumed > limit);
    },
    async locked(address, settings) {
      if (settings.maxFailures <= 0) return OPEN;
      const { res, limit } = await run(settings, (l) => l.get(address));
      return verdict(res, (consumed) => consumed >= limit);
    },
  };
}
