// Turns a stream of OpenAI chunks into an SSE Response exactly as OpenAI frames it, errors included.
import { asGatewayError, toOpenAIError } from '../errors.js';
import { SSE_DONE, sseData } from '../openai/sse.js';
import type { ChatCompletionChunk } from '../openai/types.js';
import type { Logger } from '../log.js';
import { safeHeaders } from './text-bounds.js';

export interface SseOptions {
  /** Whether the client asked for `stream_options.include_usage`; if not, usage is stripped. */
  includeUsage: boolean;
  headers: Record<string, string>;
  log: Logger;
  requestId: string;
  /** Called once when the stream is over, however it ended. */
  onEnd: () => void;
}

const encoder = new TextEncoder();

export function sseResponse(chunks: AsyncIterable<ChatCompletionChunk>, opts: SseOptions): Response {
  const it = chunks[Symbol.asyncIterator]();
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
            controller.enqueue(encoder.encode(SSE_DONE));
            controller.close();
            end();
            return;
          }
          if (!opts.includeUsage) {
            if (value.usage && value.choices.length === 0) continue;
            if ('usage' in value) delete value.usage;
          }
          controller.enqueue(encoder.encode(sseData(value)));
          return;
        }
      } catch (err) {
        // Headers are gone already: report in-band the way OpenAI does, as a data frame with `error`.
        const e = asGatewayError(err);
        if (e.code === 'internal_error') opts.log.error({ err, requestId: opts.requestId }, 'stream failed');
        controller.enqueue(encoder.encode(sseData(toOpenAIError(e))));
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
