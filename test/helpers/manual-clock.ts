// A routing clock the test moves by hand: timers fire only on advance(), and every sleep asked for is recorded.
import { setImmediate as tick } from 'node:timers/promises';
import { timerSleep, type Clock, type Timer } from '../../src/routing/clock.js';

export interface ManualClock extends Clock {
  /** Current time in ms. */
  readonly t: number;
  /** Every sleep requested, in order (ms). */
  readonly sleeps: number[];
  /** Moves time forward by `ms`, firing due timers in order and letting the code they wake run in between. */
  advance(ms: number): Promise<void>;
  /** Timers armed and not yet fired or cleared. */
  pending(): number;
}

interface Pending extends Timer {
  at: number;
  ms: number;
  fn: () => void;
}

/**
 * `autoSleep`: sleeps return at once after moving time forward by their length, for tests that run
 * a whole request (through a socket) and only care how long the code chose to wait.
 */
export function createManualClock(opts: { start?: number; autoSleep?: boolean } = {}): ManualClock {
  let t = opts.start ?? 0;
  const timers = new Set<Pending>();
  const sleeps: number[] = [];

  function due(end: number): Pending | null {
    let first: Pending | null = null;
    for (const p of timers) if (p.at <= end && (!first || p.at < first.at)) first = p;
    return first;
  }

  const clock: ManualClock = {
    get t() {
      return t;
    },
    sleeps,
    now: () => t,
    setTimeout(fn, ms) {
      const p: Pending = {
        at: t + ms,
        ms,
        fn,
        refresh() {
          p.at = t + p.ms;
          timers.add(p);
          return p;
        },
      };
      timers.add(p);
      return p;
    },
    clearTimeout(p) {
      timers.delete(p as Pending);
    },
    sleep(ms, signal) {
      sleeps.push(ms);
      if (!opts.autoSleep) return timerSleep(clock, ms, signal);
      if (signal?.aborted) return Promise.reject(signal.reason);
      t += ms;
      return Promise.resolve();
    },
    async advance(ms) {
      const end = t + ms;
      await tick();
      for (let p = due(end); p; p = due(end)) {
        t = p.at;
        timers.delete(p);
        p.fn();
        await tick();
      }
      t = end;
      await tick();
    },
    pending: () => timers.size,
  };
  return clock;
}
