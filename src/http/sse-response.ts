// SSE Responses for every door: one writer with per-door framing (OpenAI chunks + [DONE], Responses and Messages events).
import { asGatewayError, toOpenAIError, type GatewayError } from '../errors.js';
import { SSE_DONE, sseData } from '../openai/sse.js';
import type { ChatCompletionChunk } from '../openai/types.js';
import type { Logger } from '../log.js';
import { safeHeaders } from './text-bounds.js';

export interface SseOptions {
  headers: Record<string, string>;
  log: Logger;
  requestId: string;
  /** Called once when the stream is over, however it ended. */
  onEnd: () => void;
}

/** How one door frames its events: each event's frame (null skips it), the in-band error, and the closing frame. */
export interface SseFraming<T> {
  frame(event: T): string | null;
  error(err: GatewayError): string;
  /** Sent after the last event (OpenAI's `[DONE]`); doors whose last event says so send nothing. */
  done?: string;
}

const encoder = new TextEncoder();

/** An SSE Response over a door's events; the upstream is closed when the client goes away. */
export function eventStreamResponse<T>(events: AsyncIterable<T>, framing: SseFraming<T>, opts: SseOptions): Response {
  const it = events[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      opts.onEnd();
    }
  };
  let headers: Headers;
  try {
    headers = new Headers({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...safeHeaders(opts.headers) });
  } catch (err) {
    // The stream is open (admitted, reserved, upstream connected) but will never be read: close it so the broker logs and settles.
    void closeUnread(it).finally(end);
    throw err;
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { value, done } = await it.next();
          if (done) {
            if (framing.done) controller.enqueue(encoder.encode(framing.done));
            controller.close();
            end();
            return;
          }
          const text = framing.frame(value);
          if (text === null) continue;
          controller.enqueue(encoder.encode(text));
          return;
        }
      } catch (err) {
        // Headers are gone already: report in-band, in the door's own error frame.
        const e = asGatewayError(err);
        if (e.code === 'internal_error') opts.log.error({ err, requestId: opts.requestId }, 'stream failed');
        controller.enqueue(encoder.encode(framing.error(e)));
        controller.close();
        end();
      }
    },
    async cancel() {
      // The client went away: stop the upstream stream too.
      try {
        await it.return?.();
      } finally {
        end();
      }
    },
  });
  return new Response(body, { status: 200, headers });
}

/** Chat completion chunks framed as OpenAI frames them; usage only when the client asked for `stream_options.include_usage`. */
export function sseResponse(chunks: AsyncIterable<ChatCompletionChunk>, opts: SseOptions & { includeUsage: boolean }): Response {
  return eventStreamResponse(
    chunks,
    {
      frame: (chunk) => {
        if (!opts.includeUsage) {
          if (chunk.usage && chunk.choices.length === 0) return null;
          if ('usage' in chunk) delete chunk.usage;
        }
        return sseData(chunk);
      },
      error: (e) => sseData(toOpenAIError(e)),
      done: SSE_DONE,
    },
    opts,
  );
}

/**
 * Ends an iterator nobody will read. A generator that never started skips its `finally` on return(),
 * so it is started first (one chunk is read and dropped), then returned.
 */
export async function closeUnread<T>(it: AsyncIterator<T>): Promise<void> {
  try {
    const first = await it.next();
    if (!first.done) await it.return?.();
  } catch {
    // the upstream failed on its first chunk: the generator already finished, its finally ran
  }
}
