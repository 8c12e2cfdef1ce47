// The Anthropic Messages door: natively to providers that speak Messages, through the chat translation to every other.
import type { ModelDoor } from '../../broker/door.js';
import { estimatePromptTokens } from '../../providers/estimate.js';
import type { Provider, ProviderCall } from '../../providers/types.js';
import { chatToEvents } from './chat-stream.js';
import { fromChatCompletion } from './from-chat.js';
import { nativeBody, nativeEvents, nativeMessage } from './native.js';
import type { MessagesRequest } from './schema.js';
import { toChatRequest } from './to-chat.js';
import { auditView, callUsage, foldMessages, transformMessages } from './transform.js';
import type { MessagesEvent, MessagesResponse } from './types.js';

/** Anthropic refuses a thinking budget that is not below max_tokens, and one under 1,024. */
const MIN_THINKING_BUDGET = 1024;

function nativeApi(provider: Provider) {
  return provider.native?.format === 'messages' ? provider.native : undefined;
}

/** The chat request a translated call sends: refuses (400) what chat cannot carry. */
function chatFor(provider: Provider, req: MessagesRequest, stream: boolean) {
  return toChatRequest({ ...req, stream }, { strict: true, kind: provider.kind });
}

export const messagesDoor: ModelDoor<MessagesRequest, MessagesResponse, MessagesEvent> = {
  name: 'messages',
  endpoint: 'messages',
  operation: 'chat',
  model: (req) => req.model,
  asChat: (req) => toChatRequest(req, { strict: false }),

  withOutputCap(req, perChoice) {
    if (req.max_tokens <= perChoice) return req;
    const out: MessagesRequest = { ...req, max_tokens: perChoice };
    const budget = req.thinking?.budget_tokens;
    if (req.thinking && budget !== undefined && budget >= perChoice && perChoice > MIN_THINKING_BUDGET) {
      out.thinking = { ...req.thinking, budget_tokens: perChoice - 1 };
    }
    return out;
  },

  async call(provider, req, call: ProviderCall) {
    const native = nativeApi(provider);
    if (native) return nativeMessage(await native.send(nativeBody(req, call, false), call), provider.id);
    return fromChatCompletion(await provider.chat(chatFor(provider, req, false), call), call.model);
  },

  async openStream(provider, req, call: ProviderCall) {
    const native = nativeApi(provider);
    if (native) return nativeEvents(await native.stream(nativeBody(req, call, true), call), provider.id);
    const chat = chatFor(provider, req, true);
    const chunks = await provider.chatStream(chat, call);
    return chatToEvents(chunks, { model: call.model, inputTokens: estimatePromptTokens(chat) });
  },

  usage: (res) => callUsage(res.usage),
  servedModel: (res) => res.model || undefined,
  auditView,
  transformStream: transformMessages,
  fold: foldMessages,
};
