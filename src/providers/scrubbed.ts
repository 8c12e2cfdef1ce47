// One choke point per adapter: every error it throws (before, during or after a stream) leaves with its secrets scrubbed.
import type { Scrubber } from './scrub.js';
import type { NativeApi, Provider } from './types.js';

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
function scrubbedNative(n: NativeApi, guard: <T>(run: () => Promise<T>) => Promise<T>, s: Scrubber): NativeApi {
  return {
    format: n.format,
    send: (body, call) => guard(() => n.send(body, call)),
    stream: async (body, call) => scrubbedStream(await guard(() => n.stream(body, call)), s),
  };
}

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
    ...(p.native ? { native: scrubbedNative(p.native, guard, s) } : {}),
  };
}
