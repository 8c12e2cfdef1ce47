// Streams through the executor: an attempt succeeds only once its first chunk is in hand, so failures before it can fall back.
import type { ChatRequest } from '../openai/schemas.js';
import type { ChatCompletionChunk } from '../openai/types.js';
import type { AttemptHandle } from './attempt.js';
import { timeoutError } from './attempt.js';

export interface OpenedStream {
  first: IteratorResult<ChatCompletionChunk>;
  it: AsyncIterator<ChatCompletionChunk>;
}

/** The attempt function for streams: open upstream and peek the first chunk (the commit point). */
export async function openStream(req: ChatRequest, h: AttemptHandle, requestId: string): Promise<OpenedStream> {
  const { provider, model } = h.target;
  h.span?.streaming();
  const upstream = await provider.chatStream(req, { model, signal: h.signal, requestId });
  const it = upstream[Symbol.asyncIterator]();
  let first: IteratorResult<ChatCompletionChunk>;
  try {
    first = await it.next();
  } catch (err) {
    void it.return?.();
    throw err;
  }
  if (h.span && !first.done) h.span.observe(first.value);
  return { first, it };
}

export function discardStream(s: OpenedStream): void {
  void s.it.return?.()?.catch(() => undefined);
}

/** Replays the peeked chunk, then the rest, under the target's idle and total timeouts. */
export async function* resumeStream(s: OpenedStream, h: AttemptHandle): AsyncGenerator<ChatCompletionChunk> {
  const idleMs = h.target.timeouts?.idleMs;
  const idle = idleMs ? setTimeout(() => h.abort(timeoutError(h.target, 'stopped sending data', idleMs)), idleMs) : null;
  let finished = s.first.done === true;
  try {
    if (finished) return;
    yield s.first.value as ChatCompletionChunk;
    for (;;) {
      idle?.refresh();
      let r: IteratorResult<ChatCompletionChunk>;
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
      if (h.span && (r.value.usage || r.value.choices[0]?.finish_reason)) h.span.observe(r.value);
      yield r.value;
    }
  } finally {
    if (idle) clearTimeout(idle);
    h.done();
    // Client went away (return() on us): close the upstream too.
    if (!finished) await s.it.return?.();
  }
}
