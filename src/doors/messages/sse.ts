// Messages SSE framing: every frame named by its event type, errors in-band as `event: error`, nothing after message_stop.
import type { SseFraming } from '../../http/sse-response.js';
import { anthropicErrorFrame } from './errors.js';
import type { MessagesEvent } from './types.js';

export function messagesFraming(requestId: string): SseFraming<MessagesEvent> {
  return {
    frame: (ev) => `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`,
    error: (e) => anthropicErrorFrame(e, requestId),
  };
}
