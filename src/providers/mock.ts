// The `mock` provider: deterministic replies, streaming and tool calls with no upstream, for trials and load tests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { encodeEmbeddingBase64 } from '../openai/embedding-encoding.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse } from '../openai/types.js';
import { mockEmbedding, mockReply } from './mock-reply.js';
import type { Provider } from './types.js';

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return signal.throwIfAborted();
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new GatewayError('upstream_error', 'The request to the mock provider was cancelled.');
  }
}

/** Like OpenAI's largest embedding model; and a ceiling on the floats one answer may hold, so a request cannot exhaust memory. */
export const MOCK_MAX_DIMENSIONS = 3072;
export const MOCK_MAX_FLOATS = 1 << 22;

function embeddingDims(req: { dimensions?: number | undefined }, inputs: number): number {
  const dims = req.dimensions ?? 8;
  if (dims > MOCK_MAX_DIMENSIONS) {
    throw new GatewayError('upstream_bad_request', `The mock provider supports at most ${MOCK_MAX_DIMENSIONS} dimensions.`, { param: 'dimensions' });
  }
  if (dims * inputs > MOCK_MAX_FLOATS) {
    throw new GatewayError('upstream_bad_request', `The mock provider answers at most ${MOCK_MAX_FLOATS} floats per request (inputs x dimensions).`, { param: 'dimensions' });
  }
  return dims;
}

export function createMockProvider(id: string, config: Extract<ProviderConfig, { kind: 'mock' }>): Provider {
  let seq = 0;
  const nextId = () => `chatcmpl-mock${(++seq).toString(36)}`;
  const now = () => Math.floor(Date.now() / 1000);

  return {
    id,
    kind: 'mock',
    models: () => config.models,

    async chat(req, call): Promise<ChatCompletion> {
      await wait(config.latencyMs, call.signal);
      const r = mockReply(req);
      const n = req.n ?? 1;
      return {
        id: nextId(),
        object: 'chat.completion',
        created: now(),
        model: call.model,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: { role: 'assistant', content: r.content, refusal: null, ...(r.toolCalls.length ? { tool_calls: r.toolCalls } : {}) },
          finish_reason: r.finishReason,
          logprobs: null,
        })),
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens * n, total_tokens: r.promptTokens + r.completionTokens * n },
      };
    },

    async chatStream(req, call) {
      await wait(config.latencyMs, call.signal);
      const r = mockReply(req);
      const base = { id: nextId(), object: 'chat.completion.chunk' as const, created: now(), model: call.model };
      const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
        ...base,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      const pace = () => wait(config.chunkDelayMs, call.signal);
      return (async function* () {
        yield chunk({ role: 'assistant', content: '' });
        for (const piece of r.content?.split(/(?<=\s)/) ?? []) {
          await pace();
          yield chunk({ content: piece });
        }
        for (const [index, tc] of r.toolCalls.entries()) {
          await pace();
          yield chunk({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] });
          yield chunk({ tool_calls: [{ index, function: { arguments: tc.function.arguments } }] });
        }
        yield chunk({}, r.finishReason);
        const u = { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
        yield { ...base, choices: [], usage: u };
      })();
    },

    async embeddings(req, call): Promise<EmbeddingsResponse> {
      await wait(config.latencyMs, call.signal);
      const inputs = typeof req.input === 'string' ? [req.input] : req.input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
      const dims = embeddingDims(req, inputs.length);
      const tokens = inputs.reduce((n, s) => n + Math.max(1, s.split(/\s+/).filter(Boolean).length), 0);
      return {
        object: 'list',
        data: inputs.map((text, index) => {
          const v = mockEmbedding(text, dims);
          return { object: 'embedding', index, embedding: req.encoding_format === 'base64' ? encodeEmbeddingBase64(v) : v };
        }),
        model: call.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  };
}
