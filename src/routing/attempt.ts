// One attempt at one target: its abort signal and the per-target first-byte and total timers.
import { GatewayError } from '../errors.js';
import type { Target } from './strategies.js';

export interface AttemptHandle {
  readonly target: Target;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  readonly hedge: boolean;
  /** Set when the gateway itself cut the attempt (timeout, lost hedge); replaces whatever the adapter threw. */
  reason: GatewayError | null;
  abort(reason: GatewayError): void;
  /** The first byte arrived: stop the first-byte timer, keep the total one. */
  commit(): void;
  /** The attempt is over: stop every timer. */
  done(): void;
}

export function timeoutError(target: Target, what: string, ms: number): GatewayError {
  return new GatewayError('upstream_timeout', `Provider "${target.provider.id}" (${target.model}) ${what} within ${ms} ms.`);
}

export function startAttempt(target: Target, client: AbortSignal, ownSignal: boolean, hedge: boolean, now: number): AttemptHandle {
  const t = target.timeouts;
  // Only attempts that may be cut by the gateway pay for their own controller.
  const ac = ownSignal || t ? new AbortController() : null;
  let firstByte: NodeJS.Timeout | null = null;
  let total: NodeJS.Timeout | null = null;
  const h: AttemptHandle = {
    target,
    signal: ac ? AbortSignal.any([client, ac.signal]) : client,
    startedAt: now,
    hedge,
    reason: null,
    abort(reason) {
      if (h.reason || !ac) return;
      h.reason = reason;
      ac.abort(reason);
      h.done();
    },
    commit() {
      if (firstByte) clearTimeout(firstByte);
      firstByte = null;
    },
    done() {
      h.commit();
      if (total) clearTimeout(total);
      total = null;
    },
  };
  if (t?.firstByteMs) firstByte = setTimeout(() => h.abort(timeoutError(target, 'sent no first byte', t.firstByteMs!)), t.firstByteMs);
  if (t?.totalMs) total = setTimeout(() => h.abort(timeoutError(target, 'did not finish', t.totalMs!)), t.totalMs);
  return h;
}
