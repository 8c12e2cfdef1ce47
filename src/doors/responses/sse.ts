// The Responses SSE framing: `event: <type>` frames numbered in the order sent, and OpenAI's in-band `error` event.
import { toOpenAIError } from '../../errors.js';
import type { SseFraming } from '../../http/sse-response.js';
import type { ResponsesEvent } from './types.js';

/** An event name that cannot break the frame (an upstream's type is only data to the gateway). */
const SAFE_TYPE = /^[A-Za-z0-9_.\-]{1,128}$/;

/**
 * Numbers events as they are framed: the policy may add deltas (flushed held-back text) and a native upstream numbers
 * its own events, so only the edge knows the order the client gets. The error frame carries OpenAI's `error` event
 * fields and an `error` object, which openai-node turns into a thrown APIError.
 */
export function responsesFraming(): SseFraming<ResponsesEvent> {
  let seq = 0;
  const frame = (type: string, data: Record<string, unknown>): string =>
    `${SAFE_TYPE.test(type) ? `event: ${type}\n` : ''}data: ${JSON.stringify({ ...data, sequence_number: seq++ })}\n\n`;
  return {
    frame: (ev) => frame(ev.type, ev),
    error(e) {
      const body = toOpenAIError(e).error;
      return frame('error', { type: 'error', code: body.code, message: body.message, param: body.param, error: body });
    },
  };
}
