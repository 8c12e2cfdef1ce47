// Runs one model call over a route plan: breaker skips, fallbacks, retries with backoff and budget, hedged attempts.
import { asGatewayError, GatewayError } from '../errors.js';
import type { GenAiOperation } from '../tracing/semconv.js';
import { startAttempt, type AttemptHandle, type UpstreamClock } from './attempt.js';
import type { Timer } from './clock.js';
import { backoffMs, classify, retryAfterMs } from './retry.js';
import type { RoutePlan } from './router.js';
import type { HedgeConfig } from './schema.js';
import type { Target } from './strategies.js';

export interface ExecOptions<T> {
  /** The client's signal: when it aborts, everything stops. */
  signal: AbortSignal;
  /** Calls the target; for streams it resolves once the first chunk is in hand (the commit point). */
  run: (h: AttemptHandle) => Promise<T>;
  /** Releases a value produced by an attempt that lost a hedge race (e.g. closes its stream). */
  discard?: (value: T) => void;
  rand: () => number;
  /** Streams keep the winner's total timer running after the commit; the caller ends it with handle.done(). */
  keepTimers?: boolean;
  /** For the attempt spans (`chat {model}` by default). */
  operation?: GenAiOperation;
}

/** Filled in by execute on success and on failure, for the request log and the debug log. */
export interface RouteTrace {
  attempts: number;
  /** One line: how the plan was made and what each attempt did. */
  reason: string;
  /** The target that answered, or the last one tried. */
  last: Target | null;
  /** Time with an upstream attempt in flight (streams: until the stream ends). */
  upstream: UpstreamClock;
}

export function newTrace(): RouteTrace {
  return { attempts: 0, reason: '', last: null, upstream: { active: 0, since: 0, ms: 0 } };
}

export interface Executed<T> {
  value: T;
  handle: AttemptHandle;
}

interface Running<T> {
  h: AttemptHandle;
  value?: T;
  error?: GatewayError;
  settled: Promise<Running<T>>;
}

const HEDGE = Symbol('hedge');
const LOST = (): GatewayError => new GatewayError('upstream_error', 'Cancelled: another attempt answered first.');

function hedgeDelay(cfg: HedgeConfig, t: Target): number | null {
  const p = cfg.percentile !== undefined ? t.health.percentile(cfg.percentile, cfg.minSamples) : null;
  return p ?? cfg.delayMs ?? null;
}

function describePlan(plan: RoutePlan): string {
  if (!plan.alias) return 'direct';
  return `alias=${plan.alias} strategy=${plan.strategy}${plan.rule ? ` rule=${plan.rule}` : ''}`;
}

/** Throws when every attempt failed (the last error) or at the first error no other target could fix. */
export async function execute<T>(plan: RoutePlan, o: ExecOptions<T>, out: RouteTrace): Promise<Executed<T>> {
  const notes: string[] = [];
  try {
    return await executeInner(plan, o, out, notes);
  } finally {
    out.reason = `${describePlan(plan)}; ${notes.join('; ')}`;
  }
}

async function executeInner<T>(plan: RoutePlan, o: ExecOptions<T>, out: RouteTrace, notes: string[]): Promise<Executed<T>> {
  const cands = plan.candidates;
  const note = (s: string): number => notes.push(s);
  const retryable: Array<{ t: Target; afterMs: number | null }> = [];
  const running: Array<Running<T>> = [];
  const hedging = plan.hedge !== null;
  const clock = plan.clock;
  let next = 0;
  let attempts = 0;
  let retries = 0;
  let lastErr: GatewayError | null = null;
  let hedgeTimer: Timer | null = null;
  let hedgeFired: Promise<typeof HEDGE> | null = null;

  function fresh(): Target | null {
    while (next < cands.length) {
      const t = cands[next++]!;
      if (t.health.breaker.tryAcquire()) return t;
      note(`${t.key} skipped (circuit open: ${t.health.breaker.reason()})`);
    }
    return null;
  }

  function launch(t: Target, hedge: boolean, retry: boolean): void {
    out.attempts = ++attempts;
    out.last = t;
    const h = startAttempt(t, o.signal, hedging, hedge, clock.now(), { operation: o.operation, upstream: out.upstream, clock });
    if (hedge) note(`${t.key} hedge`);
    else if (retry) note(`${t.key} retry`);
    const r: Running<T> = { h, settled: null as unknown as Promise<Running<T>> };
    let p: Promise<T>;
    try {
      // With tracing on, the attempt's span is active while it runs, so the upstream call carries its traceparent.
      p = h.span ? h.span.run(() => o.run(h)) : o.run(h);
    } catch (err) {
      p = Promise.reject(err);
    }
    r.settled = p.then(
      (value) => {
        r.value = value;
        return r;
      },
      (err: unknown) => {
        r.error = h.reason ?? asGatewayError(err);
        h.fail(r.error);
        return r;
      },
    );
    running.push(r);
  }

  function clearHedge(): void {
    if (hedgeTimer) clock.clearTimeout(hedgeTimer);
    hedgeTimer = null;
    hedgeFired = null;
  }

  function armHedge(from: Target): void {
    clearHedge();
    if (!plan.hedge || running.length >= plan.hedge.maxParallel || next >= cands.length) return;
    const d = hedgeDelay(plan.hedge, from);
    if (d === null) return;
    hedgeFired = new Promise((resolve) => {
      hedgeTimer = clock.setTimeout(() => resolve(HEDGE), d);
    });
  }

  /** Fallback first (untried targets), then retries of targets that failed transiently. */
  async function following(): Promise<{ t: Target; retry: boolean } | null> {
    const t = fresh();
    if (t) return { t, retry: false };
    while (retries < plan.retry.attempts && retryable.length) {
      const { t: r, afterMs } = retryable.shift()!;
      if (afterMs !== null && afterMs > plan.retry.maxRetryAfterMs) {
        note(`${r.key} not retried (retry-after ${afterMs} ms)`);
        continue;
      }
      if (!r.health.breaker.tryAcquire()) {
        note(`${r.key} not retried (circuit open)`);
        continue;
      }
      if (!r.budget.tryWithdraw()) {
        r.health.breaker.onNeutral();
        note(`${r.key} not retried (retry budget exhausted)`);
        return null;
      }
      const wait = Math.max(afterMs ?? 0, backoffMs(retries, plan.retry, o.rand));
      retries++;
      if (wait > 0) {
        note(`wait ${wait} ms${afterMs !== null ? ' (retry-after)' : ''}`);
        try {
          await clock.sleep(wait, o.signal);
        } catch {
          r.health.breaker.onNeutral();
          throw new GatewayError('upstream_error', 'The client went away while the gateway waited to retry.');
        }
      }
      return { t: r, retry: true };
    }
    return null;
  }

  function abortOthers(except: Running<T> | null): void {
    for (const r of running) {
      if (r === except) continue;
      r.h.abort(LOST());
      r.h.target.health.breaker.onNeutral();
      note(`${r.h.target.key} cancelled`);
      // A loser may still produce a value (a stream that opened just now): release it.
      if (o.discard) void r.settled.then((x) => x.value !== undefined && o.discard!(x.value));
    }
    running.length = 0;
  }

  if (o.signal.aborted) throw new GatewayError('upstream_error', 'The client went away before the call started.');
  // Each request earns retry tokens for its primary's provider; retries spend them.
  cands[0]!.budget.deposit();
  const first = fresh();
  if (first) launch(first, false, false);
  else {
    // Every breaker is open: try the primary anyway rather than fail without asking (Envoy's panic mode).
    note('all circuits open, trying primary');
    launch(cands[0]!, false, false);
  }
  armHedge(running[0]!.h.target);

  for (;;) {
    const settled = running.length === 1 && !hedgeFired ? running[0]!.settled : Promise.race<Running<T> | typeof HEDGE>([...running.map((r) => r.settled), ...(hedgeFired ? [hedgeFired] : [])]);
    const ev = await settled;
    if (ev === HEDGE) {
      hedgeFired = null;
      hedgeTimer = null;
      const t = fresh();
      if (t) {
        launch(t, true, false);
        armHedge(t);
      }
      continue;
    }
    const r = ev;
    running.splice(running.indexOf(r), 1);
    const t = r.h.target;
    if (r.error === undefined) {
      clearHedge();
      note(`${t.key} ok`);
      r.h.span?.observe(r.value);
      abortOthers(r);
      if (o.keepTimers) r.h.commit();
      else r.h.done();
      t.health.recordSuccess(clock.now() - r.h.startedAt);
      out.last = t;
      return { value: r.value as T, handle: r.h };
    }
    const e = r.error;
    lastErr = e;
    if (o.signal.aborted) {
      clearHedge();
      abortOthers(null);
      t.health.breaker.onNeutral();
      throw e;
    }
    const v = classify(e, plan.fallbackOn);
    if (v.unhealthy) t.health.recordFailure();
    else t.health.breaker.onNeutral();
    note(`${t.key} ${e.code} ${e.status}`);
    if (!v.fallback) {
      clearHedge();
      abortOthers(null);
      throw e;
    }
    if (v.retry) retryable.push({ t, afterMs: retryAfterMs(e) });
    if (running.length > 0) continue;
    clearHedge();
    const n = await following();
    if (!n) throw lastErr;
    launch(n.t, false, n.retry);
    armHedge(n.t);
  }
}
