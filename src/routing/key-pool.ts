// Several API keys for one provider: one adapter per key, used in turn, skipping a key that was just rate limited.
import { GatewayError } from '../errors.js';
import type { Provider, ProviderCall } from '../providers/types.js';
import { realClock, type Clock } from './clock.js';
import { retryAfterMs } from './retry.js';

const DEFAULT_COOLDOWN_MS = 5_000;

/** `members` are the same provider built once per key; a 429 on one key moves the call to the next key at once. */
export function createKeyPool(members: Provider[], clock: Pick<Clock, 'now'> = realClock): Provider {
  const first = members[0]!;
  const coolUntil = new Float64Array(members.length);
  let cursor = 0;

  async function use<T>(call: (p: Provider) => Promise<T>): Promise<T> {
    const n = members.length;
    const start = cursor++ % n;
    if (cursor > 1e9) cursor = 0;
    let lastErr: unknown = null;
    const t = clock.now();
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      // Cooling keys are tried only when every key is cooling (the last resort is still one attempt).
      if (coolUntil[i]! > t && (k < n - 1 || lastErr !== null)) continue;
      try {
        return await call(members[i]!);
      } catch (err) {
        if (!(err instanceof GatewayError) || err.code !== 'upstream_rate_limited') throw err;
        coolUntil[i] = clock.now() + (retryAfterMs(err) ?? DEFAULT_COOLDOWN_MS);
        lastErr = err;
      }
    }
    throw lastErr ?? new GatewayError('upstream_rate_limited', `Every API key of provider "${first.id}" is rate limited.`);
  }

  return {
    id: first.id,
    kind: first.kind,
    models: () => first.models(),
    chat: (req, call: ProviderCall) => use((p) => p.chat(req, call)),
    chatStream: (req, call: ProviderCall) => use((p) => p.chatStream(req, call)),
    embeddings: (req, call: ProviderCall) => use((p) => p.embeddings(req, call)),
    // Every member is the same adapter, so they all speak the same native format (or none).
    ...(first.native
      ? { native: { format: first.native.format, send: (body, call) => use((p) => p.native!.send(body, call)), stream: (body, call) => use((p) => p.native!.stream(body, call)) } }
      : {}),
  };
}
