// The semantic index made on first use: a gateway whose config matches no question by meaning never loads pgvector or touches the table.
import type { SemanticIndex } from './types.js';

/** Expired rows go in the background at this pace once the index is in use. */
const PRUNE_EVERY_MS = 10 * 60_000;

export function lazySemanticIndex(make: () => Promise<SemanticIndex>): SemanticIndex & { close(): void } {
  let made: Promise<SemanticIndex> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const get = (): Promise<SemanticIndex> => {
    made ??= make();
    if (!timer) {
      timer = setInterval(() => void made?.then((i) => i.prune()).catch(() => undefined), PRUNE_EVERY_MS);
      timer.unref();
    }
    return made;
  };
  const retry =
    <T>(value: T) =>
    (): T => {
      made = null;
      return value;
    };
  return {
    // Read only for reports; until first use nothing has been detected.
    method: 'scan',
    // An index that could not be made (database down at first use) is a miss, never a failed call; the next use tries again.
    nearest: (where, vector, min) => get().then((i) => i.nearest(where, vector, min), retry(null)),
    add: (where, vector, entryKey, expiresAt) => get().then((i) => i.add(where, vector, entryKey, expiresAt), retry(undefined)),
    prune: (now) => get().then((i) => i.prune(now), retry(0)),
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
