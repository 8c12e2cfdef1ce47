// The routing clock: monotonic time, timers and sleeps, injected so tests drive cool-downs, backoff and timeouts without waiting.

/** What a timer must offer: `refresh()` re-arms it for its full delay (the idle timeout re-arms per chunk without a new timer). */
export interface Timer {
  refresh(): unknown;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences mean anything). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A sleep built on a clock's own timers, so a fake clock's sleeps obey that clock. */
export function timerSleep(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(t);
      reject(signal!.reason);
    };
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// Globals are looked up on each call (not captured at import), so vitest's fake timers also drive the real clock.
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
  sleep: (ms, signal) => timerSleep(realClock, ms, signal),
};
