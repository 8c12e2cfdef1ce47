// One admin-key attempt (admin API bearer, /metrics, console login) through the per-address failure throttle: address, verdict, log line, metric.
import { isIPv4, isIPv6 } from 'node:net';
import type { Context } from 'hono';
import type { Deps } from '../deps.js';
import { createClientAddress, type ClientAddressResolver } from '../http/client-address.js';
import type { ThrottleVerdict } from './auth-throttle.js';

/** Where the attempt came from, for the log and the metric (a bounded set). */
export type AuthSurface = 'api' | 'console';

/** Requests with no socket (in-process `app.request`, as the console's own admin calls) share one bucket. */
export const UNKNOWN_ADDRESS = 'unknown';

/** Longest key read; a longer one is a wrong key, refused without hashing it. */
export const MAX_ADMIN_KEY_CHARS = 4096;

/** Whether a presented key is too long to be the admin key (which may itself be longer than the usual cap). */
export const oversizedKey = (given: string, adminKey: string): boolean => given.length > Math.max(MAX_ADMIN_KEY_CHARS, adminKey.length);

function ipv6Groups(a: string): number[] | null {
  let s = a;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const [o1, o2, o3, o4] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((o1 << 8) | o2).toString(16)}:${((o3 << 8) | o4).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return null;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((h) => parseInt(h, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * The bucket a socket address counts in: an IPv4 address (IPv4-mapped IPv6 included) as is, an IPv6 address by its
 * /64 (one host usually holds a whole /64, so per-address counting would give it 2^64 buckets).
 */
export function addressBucket(raw: string | undefined | null): string {
  if (!raw) return UNKNOWN_ADDRESS;
  let a = raw.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(a)) return a;
  const groups = isIPv6(a) ? ipv6Groups(a) : null;
  return groups ? `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64` : UNKNOWN_ADDRESS;
}

const resolvers = new WeakMap<readonly string[], ClientAddressResolver>();

/**
 * The client's bucket: the TCP peer's address, or the client a trusted proxy forwarded for (server.trustedProxies;
 * X-Forwarded-For is read only from those). Behind an untrusted proxy every client shares the proxy's bucket.
 */
export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  let resolve = resolvers.get(trustedProxies);
  if (!resolve) resolvers.set(trustedProxies, (resolve = createClientAddress(trustedProxies)));
  return addressBucket(resolve(c));
}

export interface Attempt {
  surface: AuthSurface;
  /** `right`: the admin key; `wrong`: another key (counted); `missing`: no key at all (not counted: no guess was made). */
  outcome: 'right' | 'wrong' | 'missing';
}

/**
 * Counts a wrong key and answers whether this attempt must be refused (429): the address is over its failed-attempt
 * limit, this attempt included. A right key is let in only while the address is not locked out. Logs every failed
 * and refused attempt (address and path, never the key) and counts refusals as policy denials.
 */
export async function throttleAttempt(c: Context, deps: Deps, attempt: Attempt): Promise<ThrottleVerdict> {
  const settings = deps.runtime.config.auth.adminThrottle;
  const address = clientAddress(c, deps.runtime.config.server.trustedProxies);
  const verdict = attempt.outcome === 'wrong' ? await deps.adminThrottle.failed(address, settings) : await deps.adminThrottle.locked(address, settings);
  const where = { surface: attempt.surface, address, path: c.req.path.slice(0, 256) };
  if (verdict.refused) {
    deps.log.warn({ ...where, outcome: attempt.outcome, retryAfterSec: verdict.retryAfterSec }, 'admin auth: refused, too many failed admin key attempts from this address');
    deps.metrics.denial({ door: attempt.surface === 'api' ? 'admin' : 'console', code: 'rate_limit_exceeded', rule: 'auth:admin-throttle' });
    deps.metrics.adminAuthFailure(attempt.surface, 'refused');
  } else if (attempt.outcome === 'wrong') {
    deps.log.warn(where, 'admin auth: wrong admin key');
    deps.metrics.adminAuthFailure(attempt.surface, 'wrong');
  }
  return verdict;
}
