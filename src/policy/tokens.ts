// Counts a chat request's input tokens with a real tokenizer and bounds its output, for budget and TPM reservations.
import { computeChatCompletionTokenCount, type ChatCompletionFunctionDefinition, type ChatCompletionFunctionParameters, type ChatMessage as TokChatMessage } from 'gpt-tokenizer/functionCalling';
import type { ProviderKind } from '../config.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../openai/schemas.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface TokenCounterOptions {
  /** Output bound when the request sets none and the model's limit is unknown. */
  defaultMaxOutputTokens?: number;
  /**
   * Flat tokens per image by `detail`, an upper bound rather than a typical value, since a reservation must not be
   * beaten by usage: OpenAI bills low detail at 85 and high detail at 85 + 170 per 512px tile, at most 1,445 (8 tiles
   * after its downscaling to 768×2048); Anthropic about width×height/750, at most about 1,600 after its downscaling;
   * Gemini 258 per tile. We do not fetch or decode images; the reservation settles to the real usage afterwards.
   */
  imageTokens?: { low: number; high: number; auto: number };
  /** Parts we cannot tokenize (audio, files): at least this, more for large inline data (a token per 4 characters of it). */
  otherPartTokens?: number;
  /**
   * Anthropic and Gemini have no public local tokenizer; their tokenizers yield more tokens than o200k on typical
   * text, so we count with o200k and multiply (1.1 as measured in research §6) to err on the reserving side.
   */
  foreignSafetyFactor?: number;
}

export interface TokenCounter {
  /** Input tokens of the request as the upstream will bill them (estimated for non-OpenAI models). */
  countInputTokens(req: ChatRequest, provider?: ProviderKind): Promise<number>;
  /** Most output tokens the call may produce: per choice bound × n. */
  worstCaseOutputTokens(req: ChatRequest, modelLimit?: number | null): number;
  /** Tokens of plain text (a stream's output received so far) in the model's encoding. */
  countText(text: string, model: string): Promise<number>;
  /** Loads the encoder now (at boot) instead of on the first request. */
  warm(model?: string): Promise<void>;
}

type CountFn = (text: string) => number;

/** Bare model name: drops the gateway's `<provider>/` prefix. */
function bareModel(model: string): string {
  const slash = model.lastIndexOf('/');
  return (slash >= 0 ? model.slice(slash + 1) : model).toLowerCase();
}

/** gpt-4 (not 4o/4.1/4.5), gpt-3.5 (Azure: gpt-35) and the embedding models use cl100k; everything newer or unknown uses o200k. */
export function encodingFor(model: string): EncodingName {
  const m = bareModel(model);
  return /^(gpt-4(-|$)|gpt-3\.?5|text-embedding-(ada|3-))/.test(m) ? 'cl100k_base' : 'o200k_base';
}

function isForeign(model: string, provider?: ProviderKind): boolean {
  if (provider === 'anthropic' || provider === 'gemini') return true;
  const m = bareModel(model);
  return m.startsWith('claude') || m.startsWith('gemini');
}

// Dynamic imports so only the encoding in use is loaded (each is several MB), and only once per process.
const loaders: Record<EncodingName, () => Promise<CountFn>> = {
  o200k_base: async () => (await import('gpt-tokenizer/encoding/o200k_base')).countTokens,
  cl100k_base: async () => (await import('gpt-tokenizer/encoding/cl100k_base')).countTokens,
};
const loaded = new Map<EncodingName, Promise<CountFn>>();

function encoder(name: EncodingName): Promise<CountFn> {
  let p = loaded.get(name);
  if (!p) {
    p = loaders[name]();
    loaded.set(name, p);
  }
  return p;
}

/** Text counted exactly per request; past it, tokens are estimated from the ratio seen so far (at least one per 3 characters). */
const EXACT_CHARS = 64 * 1024;
/** Pieces this long at most, cut at a space where one is near: BPE is quadratic in the length of an unbroken run. */
const PIECE = 256;
const SLICE_MS = 4;

function* pieces(text: string): Generator<string> {
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + PIECE);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > i + PIECE / 2) end = space;
    }
    yield text.slice(i, end);
    i = end;
  }
}

/** Counts `texts`, yielding to the event loop every few milliseconds; text past EXACT_CHARS is estimated. */
async function countTexts(texts: string[], count: CountFn): Promise<number> {
  let tokens = 0;
  let exactChars = 0;
  let restChars = 0;
  let deadline = performance.now() + SLICE_MS;
  for (const text of texts) {
    if (exactChars >= EXACT_CHARS) {
      restChars += text.length;
      continue;
    }
    let seen = 0;
    for (const piece of pieces(text)) {
      if (exactChars >= EXACT_CHARS) {
        restChars += text.length - seen;
        break;
      }
      tokens += count(piece);
      exactChars += piece.length;
      seen += piece.length;
      if (performance.now() > deadline) {
        await new Promise<void>((r) => setImmediate(r));
        deadline = performance.now() + SLICE_MS;
      }
    }
  }
  if (restChars > 0) tokens += Math.ceil(restChars * Math.max(tokens / Math.max(1, exactChars), 1 / 3));
  return tokens;
}

/** The value as JSON text, or its strings when it is too deep for JSON.stringify. */
function jsonText(value: unknown): string[] {
  try {
    return [JSON.stringify(value) ?? ''];
  } catch {
    return stringsOf(value);
  }
}

/** Every string (keys and values) of a JSON value, without recursion. */
function stringsOf(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
    else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) stack.push(k, x);
  }
  return out;
}

export function createTokenCounter(opts: TokenCounterOptions = {}): TokenCounter {
  const defaultMax = opts.defaultMaxOutputTokens ?? 4096;
  const images = opts.imageTokens ?? { low: 85, high: 1600, auto: 1600 };
  const otherPart = opts.otherPartTokens ?? 500;
  const factor = opts.foreignSafetyFactor ?? 1.1;

  /** Text of a content value, plus flat token counts for the parts that are not text. */
  function flatten(content: string | ContentPart[] | null | undefined): { text: string; extra: number } {
    if (content == null) return { text: '', extra: 0 };
    if (typeof content === 'string') return { text: content, extra: 0 };
    let text = '';
    let extra = 0;
    for (const part of content) {
      if (part.type === 'text' && typeof part.text === 'string') text += part.text;
      else if (part.type === 'image_url') {
        const detail = (part.image_url as { detail?: 'low' | 'high' | 'auto' } | undefined)?.detail ?? 'auto';
        extra += images[detail];
      } else extra += Math.max(otherPart, Math.ceil(stringsOf(part).reduce((n, t) => n + t.length, 0) / 4));
    }
    return { text, extra };
  }

  /** Maps OpenAI's tool-era messages onto the function-era shape the library's counting formula understands. */
  function toTokMessages(messages: ChatMessage[]): { msgs: TokChatMessage[]; extra: number } {
    const msgs: TokChatMessage[] = [];
    let extra = 0;
    for (const m of messages) {
      const { text, extra: e } = flatten(m.content as string | ContentPart[] | null | undefined);
      extra += e;
      const out: TokChatMessage = { role: m.role, content: text };
      if ('name' in m && typeof m.name === 'string') out.name = m.name;
      msgs.push(out);
      if (m.role === 'assistant' && m.tool_calls) {
        // Each tool call is billed like a legacy function_call: name + arguments + 3 framing tokens.
        for (const call of m.tool_calls) {
          msgs.push({ role: 'assistant', content: '', function_call: { name: call.function.name, arguments: call.function.arguments } });
          extra -= 4; // the pseudo-message's own framing (3) and `assistant` role token (1) are not billed twice
        }
      }
    }
    return { msgs, extra };
  }

  return {
    async countInputTokens(req, provider) {
      const count = await encoder(encodingFor(req.model));
      const { msgs, extra } = toTokMessages(req.messages);
      const choice = req.tool_choice;
      const functionCall = choice === undefined || choice === 'auto' || choice === 'required' ? undefined : choice === 'none' ? 'none' : { name: choice.function.name };
      // The library's formula is framing constants plus a count per string: run it with a recorder, then count the strings
      // in bounded pieces and time slices (BPE is slow on novel text and quadratic on long unbroken runs).
      const texts: string[] = [];
      const record = (t: string) => (texts.push(t), 0);
      const toolStrings = stringsOf(req.tools);
      let framing: number;
      try {
        // The library formats every schema into one string in one go: past a size, count the tools' strings instead.
        if (toolStrings.reduce((n, t) => n + t.length, 0) > EXACT_CHARS) throw new Error('tools too large to format');
        const functions: ChatCompletionFunctionDefinition[] = (req.tools ?? []).map((t) => ({
          name: t.function.name,
          description: t.function.description,
          // JSON Schema is wider than the library's type; its formatter prints unknown shapes as `any`.
          parameters: t.function.parameters as ChatCompletionFunctionParameters | undefined,
        }));
        framing = computeChatCompletionTokenCount({ messages: msgs, functions, function_call: functionCall }, record);
      } catch {
        // Tool schemas its formatter cannot read (odd types, deep nesting): messages as usual, tools as their strings.
        texts.length = 0;
        framing = computeChatCompletionTokenCount({ messages: msgs, function_call: functionCall }, record) + 9;
        for (const t of toolStrings) texts.push(t);
      }
      const rf = req.response_format;
      // A JSON schema is injected into the prompt upstream; counting its strings is a close, conservative proxy.
      if (rf && rf.type === 'json_schema' && 'json_schema' in rf) texts.push(...jsonText(rf.json_schema));
      let total = framing + extra + (await countTexts(texts, count));
      if (isForeign(req.model, provider)) total = Math.ceil(total * factor);
      return Math.max(0, total);
    },

    worstCaseOutputTokens(req, modelLimit) {
      const perChoice = req.max_completion_tokens ?? req.max_tokens ?? modelLimit ?? defaultMax;
      return perChoice * (req.n ?? 1);
    },

    async countText(text, model) {
      if (!text) return 0;
      return countTexts([text], await encoder(encodingFor(model)));
    },

    async warm(model = 'gpt-4o') {
      await encoder(encodingFor(model));
    },
  };
}
