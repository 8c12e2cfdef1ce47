// Streams through the executor: an attempt succeeds only once its first chunk is in hand, so failures before it can fall back.
import type { AttemptHandle } from './attempt.js';
import { timeoutError } from './attempt.js';

/** A stream of any door's events whose first event is already in hand. */
export interface OpenedStream<T> {
  first: IteratorResult<T>;
  it: AsyncIterator<T>;
}

/** The attempt function for streams: open upstream (on the attempt's signal) and peek the first event (the commit point). */
export async function openStream<T>(open: (signal: AbortSignal) => Promise<AsyncIterable<T>>, h: AttemptHandle): Promise<OpenedStream<T>> {
  h.span?.streaming();
  const upstream = await open(h.signal);
  const it = upstream[Symbol.asyncIterator]();
  let first: IteratorResult<T>;
  try {
    first = await it.next();
  } catch (err) {
    void it.return?.();
    throw err;
  }
  if (h.span && !first.done) h.span.observe(first.value);
  return { first, it };
}

export function discardStream<T>(s: OpenedStream<T>): void {
  void s.it.return?.()?.catch(() => undefined);
}

/** Replays the peeked chunk, then the rest, under the target's idle and total timeouts. */
export async function* resumeStream<T>(s: OpenedStream<T>, h: AttemptHandle): AsyncGenerator<T> {
  const idleMs = h.target.timeouts?.idleMs;
  const idle = idleMs ? h.clock.setTimeout(() => h.abort(timeoutError(h.target, 'stopped sending data', idleMs)), idleMs) : null;
  let finished = s.first.done === true;
  try {
    if (finished) return;
    yield s.first.value as T;
    for (;;) {
      idle?.refresh();
      let r: IteratorResult<T>;
      try {
        r = await s.it.next();
      } catch (err) {
        finished = true;
        h.span?.fail(h.reason ?? err);
        throw h.reason ?? err;
      }
      if (r.done) {
        finished = true;
        return;
      }
      h.span?.observe(r.value);
      yield r.value;
    }
  } finally {
    if (idle) h.clock.clearTimeout(idle);
    h.done();
    // Client went away (return() on us): close the upstream too.
    if (!finished) await s.it.return?.();
  }
}
