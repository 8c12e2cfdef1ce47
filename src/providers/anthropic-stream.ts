// Anthropic stream events → OpenAI chat.completion.chunk objects, ending with the usage-only chunk.
import { GatewayError } from '../errors.js';
import type { SseEvent } from '../openai/sse.js';
import type { ChatCompletionChunk, ChunkChoice, FinishReason } from '../openai/types.js';
import { completionId, finishReason, toUsage } from './anthropic-response.js';
import type { AnthropicMessage, AnthropicUsage } from './anthropic-types.js';

/** The fields of every Anthropic stream event the translator reads; absent ones are simply undefined. */
interface StreamEventData {
  type?: string;
  message?: Pick<AnthropicMessage, 'id' | 'model' | 'usage'>;
  index?: number;
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

export interface StreamTranslateOptions {
  providerId: string;
  created?: number;
}

/**
 * Translates a parsed Anthropic event stream. Errors from the source iterable pass through unchanged (the
 * caller maps body errors); upstream `error` events and a stream cut before message_stop throw GatewayError.
 */
export async function* translateAnthropicStream(
  events: AsyncIterable<SseEvent>,
  opts: StreamTranslateOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  let head: { id: string; model: string } | undefined;
  let usage: AnthropicUsage = {};
  let stopReason: string | null | undefined;
  // Anthropic numbers all content blocks; OpenAI numbers only tool calls, from 0.
  const toolIndex = new Map<number, number>();

  const chunk = (delta: ChunkChoice['delta'], finish: FinishReason | null = null): ChatCompletionChunk => {
    if (!head) throw new GatewayError('upstream_error', `Provider "${opts.providerId}" streamed content before message_start.`);
    return {
      id: head.id,
      object: 'chat.completion.chunk',
      created,
      model: head.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  };

  for await (const ev of events) {
    const data = parseData(ev, opts.providerId);
    const type = data.type ?? ev.event;
    switch (type) {
      case 'message_start': {
        const msg = data.message;
        head = { id: completionId(msg?.id ?? ''), model: msg?.model ?? '' };
        usage = { ...msg?.usage };
        yield chunk({ role: 'assistant', content: '' });
        break;
      }
      case 'content_block_start': {
        const block = data.content_block;
        if (block?.type === 'tool_use' && data.index !== undefined) {
          const index = toolIndex.size;
          toolIndex.set(data.index, index);
          yield chunk({
            tool_calls: [{ index, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } }],
          });
        } else if (block?.type === 'text' && block.text) {
          yield chunk({ content: block.text });
        }
        break;
      }
      case 'content_block_delta': {
        const d = data.delta;
        if (d?.type === 'text_delta' && d.text) yield chunk({ content: d.text });
        else if (d?.type === 'input_json_delta' && d.partial_json) {
          const index = data.index === undefined ? undefined : toolIndex.get(data.index);
          if (index !== undefined) yield chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
        }
        // thinking_delta, signature_delta and citations_delta have no OpenAI counterpart.
        break;
      }
      case 'message_delta': {
        if (data.delta?.stop_reason !== undefined) stopReason = data.delta.stop_reason;
        // message_delta usage is cumulative; null fields mean "unchanged since message_start".
        for (const [k, v] of Object.entries(data.usage ?? {})) {
          if (v != null) (usage as Record<string, unknown>)[k] = v;
        }
        break;
      }
      case 'message_stop': {
        yield chunk({}, finishReason(stopReason));
        yield { ...chunk({}), choices: [], usage: toUsage(usage) };
        return;
      }
      case 'error':
        throw streamError(data, opts.providerId);
      default:
        // ping, content_block_stop and event types added later carry nothing to translate.
        break;
    }
  }
  throw new GatewayError('upstream_error', `Provider "${opts.providerId}" stream ended early (before message_stop).`);
}

function parseData(ev: SseEvent, providerId: string): StreamEventData {
  try {
    const value = JSON.parse(ev.data) as unknown;
    if (value && typeof value === 'object') return value as StreamEventData;
  } catch {
    // fall through to the error below
  }
  throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event${ev.event ? ` (${ev.event})` : ''}.`);
}

function streamError(data: StreamEventData, providerId: string): GatewayError {
  const kind = data.error?.type ?? 'error';
  const message = `Provider "${providerId}" stream failed (${kind}): ${data.error?.message ?? 'no message'}`;
  return new GatewayError(kind === 'rate_limit_error' ? 'upstream_rate_limited' : 'upstream_error', message);
}
