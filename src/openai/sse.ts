// SSE both ways: parse an upstream event stream into events, and encode OpenAI chunks as frames.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';

export interface SseEvent {
  event?: string;
  data: string;
}

/** Yields the events of an SSE body in order; never splits or merges frames. */
export async function* parseSse(body: Readable | AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => queue.push(m.event ? { event: m.event, data: m.data } : { data: m.data }),
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (queue.length) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  parser.feed('\n\n'); // flush a last event the upstream did not terminate
  while (queue.length) yield queue.shift()!;
}

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';
