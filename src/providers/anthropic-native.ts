// The Anthropic adapter's native Messages API: the door's body sent as it is, with the gateway's credentials and the client's version headers.
import type { ProviderConfig } from '../config.js';
import { parseSse, type SseEvent } from '../openai/sse.js';
import { bodyError, callUpstream, readJson } from './http.js';
import type { Scrubber } from './scrub.js';
import type { NativeApi, ProviderCall } from './types.js';

type AnthropicConfig = Extract<ProviderConfig, { kind: 'anthropic' }>;

/** Only these client headers go upstream; a value must be plain printable text of header size. */
const PASSED = ['anthropic-version', 'anthropic-beta'] as const;
const VALUE = /^[\x20-\x7e]{1,512}$/;

/** anthropic-beta lists from the config and the client, joined without repeats (Anthropic reads a comma list). */
function joinBetas(a: string | undefined, b: string | undefined): string | undefined {
  const all = [a, b].flatMap((v) => (v ? v.split(',') : [])).map((s) => s.trim()).filter(Boolean);
  return all.length ? [...new Set(all)].join(',') : undefined;
}

/**
 * Headers of one native call: the config's headers, the client's anthropic-version (else the configured one) and
 * anthropic-beta, and the gateway's key last, so neither the config nor the client can replace it.
 */
export function nativeHeaders(config: AnthropicConfig, pass: ProviderCall['passHeaders']): Record<string, string> {
  const headers: Record<string, string> = {};
  let configBeta: string | undefined;
  for (const [k, v] of Object.entries(config.headers)) {
    if (k.toLowerCase() === 'anthropic-beta') configBeta = v;
    else if (k.toLowerCase() !== 'anthropic-version') headers[k] = v;
  }
  const client: Partial<Record<(typeof PASSED)[number], string>> = {};
  for (const name of PASSED) {
    const v = pass?.[name];
    if (v !== undefined && VALUE.test(v)) client[name] = v;
  }
  headers['anthropic-version'] = client['anthropic-version'] ?? config.anthropicVersion;
  const beta = joinBetas(configBeta, client['anthropic-beta']);
  if (beta) headers['anthropic-beta'] = beta;
  if (config.apiKey) headers['x-api-key'] = config.apiKey;
  return headers;
}

/** Turns transport failures while reading the SSE body into GatewayErrors (idle timeout, reset, abort). */
export async function* mapBodyErrors(events: AsyncIterable<SseEvent>, providerId: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
  try {
    yield* events;
  } catch (err) {
    throw bodyError(providerId, err, signal);
  }
}

export function createAnthropicNative(id: string, config: AnthropicConfig, url: string, scrubber: Scrubber): NativeApi {
  const post = (body: Record<string, unknown>, call: ProviderCall) =>
    callUpstream({
      providerId: id,
      url,
      headers: nativeHeaders(config, call.passHeaders),
      body: { ...body, model: call.model },
      signal: call.signal,
      timeouts: config.timeouts,
      scrubber,
    });
  return {
    format: 'messages',
    async send(body, call) {
      return readJson<unknown>(await post(body, call), { providerId: id, signal: call.signal });
    },
    async stream(body, call) {
      const res = await post({ ...body, stream: true }, call);
      return mapBodyErrors(parseSse(res.body), id, call.signal);
    },
  };
}
