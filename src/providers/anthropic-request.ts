// OpenAI chat request → Anthropic Messages request (roles, content parts, tools, sampling options).
import { GatewayError } from '../errors.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../openai/schemas.js';
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicToolChoice,
} from './anthropic-types.js';

export interface AnthropicRequestOptions {
  /** The upstream model name (no provider prefix). */
  model: string;
  /** Anthropic requires max_tokens; used when the client sends none. */
  defaultMaxTokens: number;
  stream: boolean;
}

/**
 * Builds the Anthropic body. Fields Anthropic has no equivalent for (seed, penalties, OpenAI metadata)
 * are dropped silently, as other gateways do; `n > 1` is refused because dropping it would change the answer shape.
 */
export function toAnthropicRequest(req: ChatRequest, opts: AnthropicRequestOptions): AnthropicRequest {
  if (req.n != null && req.n > 1) {
    throw new GatewayError('unsupported', 'Anthropic returns one choice per request; "n" greater than 1 is not supported.', {
      param: 'n',
    });
  }
  const { system, messages } = translateMessages(req.messages);
  const out: AnthropicRequest = {
    model: opts.model,
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens,
  };
  const format = responseFormat(req, system);
  if (format.system.length) out.system = format.system.join('\n\n');
  if (format.outputConfig) out.output_config = format.outputConfig;
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object' },
    }));
    const choice = toolChoice(req);
    if (choice) out.tool_choice = choice;
  }
  if (req.stop != null) {
    const stops = typeof req.stop === 'string' ? [req.stop] : req.stop;
    if (stops.length) out.stop_sequences = stops;
  }
  // OpenAI accepts 0..2, Anthropic 0..1: clamping keeps "hot" requests working at Anthropic's hottest.
  if (req.temperature != null) out.temperature = Math.min(req.temperature, 1);
  if (req.top_p != null) out.top_p = req.top_p;
  if (req.user) out.metadata = { user_id: req.user };
  if (opts.stream) out.stream = true;
  return out;
}

function toolChoice(req: ChatRequest): AnthropicToolChoice | undefined {
  const parallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const c = req.tool_choice;
  if (c === 'none') return { type: 'none' };
  if (c === 'required') return { type: 'any', ...parallel };
  if (c && typeof c === 'object') return { type: 'tool', name: c.function.name, ...parallel };
  if (c === 'auto' || req.parallel_tool_calls === false) return { type: 'auto', ...parallel };
  return undefined;
}

/**
 * json_schema with strict:true uses Anthropic's native structured outputs (output_config.format), which
 * constrains decoding; models without that feature reject it, which is honest for a strict request. Otherwise
 * (json_object, non-strict schemas) this is best effort: a system instruction, since Anthropic has no JSON mode.
 */
function responseFormat(req: ChatRequest, system: string[]): { system: string[]; outputConfig?: AnthropicRequest['output_config'] } {
  const rf = req.response_format;
  if (!rf || rf.type === 'text') return { system };
  if (rf.type === 'json_schema') {
    const schema = rf.json_schema.schema;
    if (schema && rf.json_schema.strict === true) {
      return { system, outputConfig: { format: { type: 'json_schema', schema } } };
    }
    const hint = schema ? ` matching this JSON Schema:\n${JSON.stringify(schema)}` : '';
    return { system: [...system, `Respond only with a single JSON value${hint}\nDo not wrap it in markdown or add any other text.`] };
  }
  return { system: [...system, 'Respond only with a single JSON object. Do not wrap it in markdown or add any other text.'] };
}

interface Translated {
  system: string[];
  messages: AnthropicMessageParam[];
}

function translateMessages(input: ChatMessage[]): Translated {
  const system: string[] = [];
  const messages: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]): void => {
    if (!blocks.length) return;
    const last = messages[messages.length - 1];
    // Anthropic requires alternating turns, so consecutive same-role turns become one.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  input.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') {
      const text = partsToText(m.content, i);
      if (text) system.push(text);
    } else if (m.role === 'user') {
      push('user', contentBlocks(m.content, i));
    } else if (m.role === 'tool') {
      const content = typeof m.content === 'string' ? m.content : contentBlocks(m.content, i);
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content }]);
    } else {
      const blocks: AnthropicContentBlock[] = m.content == null ? [] : contentBlocks(m.content, i, false);
      for (const tc of m.tool_calls ?? []) {
        blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, i) });
      }
      push('assistant', blocks);
    }
  });
  // Anthropic wants tool_result blocks first in a user turn (a user text may have been merged before them).
  for (const m of messages) {
    if (m.role === 'user') m.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
  }
  return { system, messages };
}

function parseArguments(args: string, index: number): Record<string, unknown> {
  if (args.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_request', `messages[${index}].tool_calls: function arguments must be a JSON object.`, {
      param: `messages[${index}]`,
    });
  }
  return value as Record<string, unknown>;
}

function partsToText(content: string | ContentPart[], index: number): string {
  if (typeof content === 'string') return content;
  return content.map((p, j) => textOf(p, index, j)).join('\n');
}

function textOf(part: ContentPart, index: number, j: number): string {
  if (part.type !== 'text' || typeof part.text !== 'string') throw unsupportedPart(part, index, j);
  return part.text;
}

/** Text and image parts; empty text is skipped because Anthropic rejects empty text blocks. */
function contentBlocks(content: string | ContentPart[], index: number, images = true): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: Array<AnthropicTextBlock | AnthropicImageBlock> = [];
  content.forEach((p, j) => {
    if (p.type === 'image_url' && images) blocks.push(imageBlock(p, index, j));
    else if (p.type === 'refusal' && typeof p.refusal === 'string' && p.refusal) blocks.push({ type: 'text', text: p.refusal });
    else if (p.type !== 'refusal') {
      const text = textOf(p, index, j);
      if (text) blocks.push({ type: 'text', text });
    }
  });
  return blocks;
}

function imageBlock(part: ContentPart, index: number, j: number): AnthropicImageBlock {
  const url = (part.image_url as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string') throw unsupportedPart(part, index, j);
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!m) {
    throw new GatewayError('invalid_request', `messages[${index}].content[${j}]: image_url must be an http(s) URL or a base64 data: URL.`, {
      param: `messages[${index}].content[${j}].image_url.url`,
    });
  }
  return { type: 'image', source: { type: 'base64', media_type: m[1]!, data: m[2]! } };
}

function unsupportedPart(part: ContentPart, index: number, j: number): GatewayError {
  return new GatewayError('unsupported', `messages[${index}].content[${j}]: content part type "${part.type}" is not supported here by Anthropic.`, {
    param: `messages[${index}].content[${j}]`,
  });
}
