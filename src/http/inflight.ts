// Counts requests and streams still running, so shutdown can wait for them.

export interface Inflight {
  /** Marks one unit of work as started; call the returned function once when it ends. */
  begin(): () => void;
  count(): number;
  /** Resolves when nothing is running, or after `timeoutMs`; true if everything finished. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function createInflight(): Inflight {
  let n = 0;
  let waiters: Array<() => void> = [];
  return {
    begin() {
      n++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--n === 0) {
          for (const w of waiters) w();
          waiters = [];
        }
      };
    },
    count: () => n,
    drained(timeoutMs) {
      if (n === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    },
  };
}
