// A cheap, bounded estimate of how many bytes a JSON-like value holds in memory, for byte-bounded writer queues.

/** Per value on top of its content: object and array headers, property slots, number boxes. */
const OVERHEAD = 16;

/**
 * Roughly what `value` keeps alive (UTF-16 strings at 2 bytes a character, plus a small overhead per value), walked
 * iteratively and stopped as soon as the count passes `cap`: a hostile 20 MB payload costs no more to weigh than `cap`.
 */
export function approxBytes(value: unknown, cap: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length && bytes <= cap) {
    const v = stack.pop();
    bytes += OVERHEAD;
    if (typeof v === 'string') bytes += v.length * 2;
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        bytes += k.length * 2;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return bytes;
}
