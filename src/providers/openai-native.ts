// OpenAI's Responses API spoken natively: the door's body goes to `${baseUrl}/responses` with only the upstream model name set.
import type { Timeouts } from '../config.js';
import { parseSse } from '../openai/sse.js';
import { bodyError, callUpstream, readJson } from './http.js';
import type { Scrubber } from './scrub.js';
import type { NativeApi, ProviderCall } from './types.js';

export interface ResponsesApiOptions {
  providerId: string;
  url: string;
  headers: Record<string, string>;
  scrubber: Scrubber;
  timeouts: Timeouts;
}

export function createResponsesApi(o: ResponsesApiOptions): NativeApi {
  const upstream = (body: Record<string, unknown>, call: ProviderCall) =>
    callUpstream({
      providerId: o.providerId,
      url: o.url,
      headers: o.headers,
      body: { ...body, model: call.model },
      signal: call.signal,
      timeouts: o.timeouts,
      scrubber: o.scrubber,
    });
  return {
    format: 'responses',
    async send(body, call) {
      const res = await upstream(body, call);
      return readJson<unknown>(res, { providerId: o.providerId, signal: call.signal });
    },
    async stream(body, call) {
      const res = await upstream({ ...body, stream: true }, call);
      const events = parseSse(res.body);
      return (async function* () {
        try {
          yield* events;
        } catch (err) {
          throw bodyError(o.providerId, err, call.signal);
        } finally {
          res.body.destroy();
        }
      })();
    },
  };
}
