// One attempt at one target: its abort signal and the per-target first-byte and total timers.
import { GatewayError } from '../errors.js';
import type { GenAiOperation } from '../tracing/semconv.js';
import { tracingOn } from '../tracing/otel.js';
import { startAttemptSpan, type AttemptSpan } from '../tracing/otel-spans.js';
import { realClock, type Clock, type Timer } from './clock.js';
import type { Target } from './strategies.js';

export interface AttemptHandle {
  readonly target: Target;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  readonly hedge: boolean;
  /** The routing clock the attempt's timers run on (the stream idle timer uses it too). */
  readonly clock: Clock;
  /** Set when the gateway itself cut the attempt (timeout, lost hedge); replaces whatever the adapter threw. */
  reason: GatewayError | null;
  abort(reason: GatewayError): void;
  /** The first byte arrived: stop the first-byte timer, keep the total one. */
  commit(): void;
  /** The attempt is over: stop every timer. */
  done(): void;
  /** The attempt failed with this error: record it, then done(). */
  fail(err: GatewayError): void;
  /** The attempt's CLIENT span (`chat {model}`); null when tracing is off. */
  readonly span: AttemptSpan | null;
}

/** Wall time with at least one attempt in flight (hedges overlap), for gateway-overhead metrics. */
export interface UpstreamClock {
  active: number;
  since: number;
  ms: number;
}

export interface AttemptOptions {
  operation?: GenAiOperation;
  upstream?: UpstreamClock;
  clock?: Clock;
}

export function timeoutError(target: Target, what: string, ms: number): GatewayError {
  return new GatewayError('upstream_timeout', `Provider "${target.provider.id}" (${target.model}) ${what} within ${ms} ms.`);
}

export function startAttempt(target: Target, client: AbortSignal, ownSignal: boolean, hedge: boolean, now: number, opts: AttemptOptions = {}): AttemptHandle {
  const t = target.timeouts;
  // Only attempts that may be cut by the gateway pay for their own controller.
  const ac = ownSignal || t ? new AbortController() : null;
  let firstByte: Timer | null = null;
  let total: Timer | null = null;
  let finished = false;
  const clock = opts.clock ?? realClock;
  const up = opts.upstream;
  if (up && up.active++ === 0) up.since = clock.now();
  const span = tracingOn()
    ? startAttemptSpan({ operation: opts.operation ?? 'chat', providerId: target.provider.id, providerKind: target.provider.kind, model: target.model, hedge })
    : null;
  const h: AttemptHandle = {
    target,
    signal: ac ? AbortSignal.any([client, ac.signal]) : client,
    startedAt: now,
    hedge,
    clock,
    reason: null,
    abort(reason) {
      if (h.reason || !ac) return;
      h.reason = reason;
      span?.fail(reason);
      ac.abort(reason);
      h.done();
    },
    commit() {
      if (firstByte) clock.clearTimeout(firstByte);
      firstByte = null;
    },
    done() {
      h.commit();
      if (total) clock.clearTimeout(total);
      total = null;
      if (finished) return;
      finished = true;
      if (up && --up.active === 0) up.ms += clock.now() - up.since;
      span?.end();
    },
    fail(err) {
      span?.fail(err);
      h.done();
    },
    span,
  };
  if (t?.firstByteMs) firstByte = clock.setTimeout(() => h.abort(timeoutError(target, 'sent no first byte', t.firstByteMs!)), t.firstByteMs);
  if (t?.totalMs) total = clock.setTimeout(() => h.abort(timeoutError(target, 'did not finish', t.totalMs!)), t.totalMs);
  return h;
}
