// One choke point per adapter: every error it throws (before, during or after a stream) leaves with its secrets scrubbed.
import type { Scrubber } from './scrub.js';
import type { Provider } from './types.js';

async function* scrubbedStream<T>(source: AsyncIterable<T>, s: Scrubber): AsyncGenerator<T> {
  try {
    // yield* forwards return() to the source, so a client that goes away still closes the upstream.
    yield* source;
  } catch (err) {
    throw s.error(err);
  }
}

/**
 * Upstream text reaches an error through many doors (status bodies, SSE error frames, malformed frames,
 * transport causes); wrapping the Provider covers them all, including ones an adapter adds later.
 */
export function withScrubbedErrors(p: Provider, s: Scrubber): Provider {
  async function guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw s.error(err);
    }
  }
  return {
    id: p.id,
    kind: p.kind,
    models: () => p.models(),
    chat: (req, call) => guard(() => p.chat(req, call)),
    embeddings: (req, call) => guard(() => p.embeddings(req, call)),
    chatStream: async (req, call) => scrubbedStream(await guard(() => p.chatStream(req, call)), s),
  };
}
