// The OpenAI Responses door: passed through to providers that speak it (OpenAI), translated through chat for every other.
import type { ModelDoor } from '../../broker/door.js';
import { eventsFromChunks } from './chunks-to-events.js';
import { auditView, callUsage, createFold } from './fold.js';
import { responseFromChat } from './from-chat.js';
import { nativeBody, nativeEvents, nativeResponse } from './native.js';
import type { ResponsesRequest } from './schema.js';
import { toChatRequest } from './to-chat.js';
import { transformEvents } from './transform.js';
import { isRecord, newId, type ResponseObject, type ResponsesEvent } from './types.js';

export const responsesDoor: ModelDoor<ResponsesRequest, ResponseObject, ResponsesEvent> = {
  name: 'responses',
  endpoint: 'responses',
  operation: 'chat',
  model: (req) => req.model,
  // Lenient: routing rules and token counting read it even when some items only a native upstream can take.
  asChat: (req) => toChatRequest(req, { strict: false }),
  withOutputCap: (req, perChoice) => ({ ...req, max_output_tokens: Math.min(req.max_output_tokens ?? perChoice, perChoice) }),

  async call(provider, req, call) {
    if (provider.native?.format === 'responses') return nativeResponse(await provider.native.send(nativeBody(req, call, false), call), provider.id);
    return responseFromChat(req, await provider.chat(toChatRequest({ ...req, stream: false }), call));
  },

  async openStream(provider, req, call) {
    if (provider.native?.format === 'responses') return nativeEvents(await provider.native.stream(nativeBody(req, call, true), call), provider.id);
    const chunks = await provider.chatStream(toChatRequest({ ...req, stream: true }), call);
    return eventsFromChunks(req, call.model, chunks);
  },

  usage: (res) => callUsage(res.usage),
  servedModel: (res) => res.model || undefined,
  auditView,
  transformStream: transformEvents,
  fold: createFold,
  renew: {
    response: (res) => ({ ...res, id: newId('resp') }),
    events(events) {
      const id = newId('resp');
      return events.map((ev) => (isRecord(ev.response) ? { ...ev, response: { ...ev.response, id } } : ev));
    },
  },
};
