// Anthropic Messages request → the gateway's internal chat request (system, turns, tool_use/tool_result, images, tools, options).
import type { ProviderKind } from '../../config.js';
import { GatewayError } from '../../errors.js';
import { LIMITS, type ChatMessage, type ChatRequest, type ContentPart, type FunctionTool } from '../../openai/schemas.js';
import type { ContentBlock, CountTokensRequest, MessageParam, MessagesRequest, ToolResultBlock, ToolUseBlock } from './schema.js';

export interface ToChatOptions {
  /**
   * True when a provider will be called with the result: what chat cannot carry is refused with a 400. False gives a
   * best-effort view for routing rules and token counting, where nothing may fail.
   */
  strict: boolean;
  /** The serving provider kind: OpenAI and Azure read `max_completion_tokens`, the others `max_tokens`. */
  kind?: ProviderKind;
}

type Part = ContentPart;
type Source = { type: string; [k: string]: unknown };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function unsupported(strict: boolean, what: string, param: string): null {
  if (!strict) return null;
  throw new GatewayError('unsupported', `${what} can only be served by an Anthropic provider (this target speaks another format).`, { param });
}

function imagePart(source: Source, strict: boolean, param: string): Part | null {
  if (source.type === 'base64' && str(source.media_type) && str(source.data) !== undefined) {
    return { type: 'image_url', image_url: { url: `data:${str(source.media_type)};base64,${str(source.data)}` } };
  }
  if (source.type === 'url' && str(source.url)) return { type: 'image_url', image_url: { url: str(source.url)! } };
  return unsupported(strict, `An image with a "${source.type}" source`, param);
}

function documentPart(block: { source: Source; title?: unknown }, strict: boolean, param: string): Part | null {
  const s = block.source;
  if (s.type === 'text' && str(s.data) !== undefined) return { type: 'text', text: str(s.data)! };
  if (s.type === 'content') {
    const inner = Array.isArray(s.content) ? (s.content as Array<{ text?: unknown }>) : [];
    return { type: 'text', text: typeof s.content === 'string' ? s.content : inner.map((b) => str(b.text) ?? '').join('\n') };
  }
  if (s.type === 'base64' && str(s.data) !== undefined) {
    const media = str(s.media_type) ?? 'application/pdf';
    return { type: 'file', file: { filename: str(block.title) ?? 'document.pdf', file_data: `data:${media};base64,${str(s.data)}` } };
  }
  return unsupported(strict, `A document with a "${s.type}" source`, param);
}

/** A user-side block as a chat content part; null when it has none (lenient mode). */
function userPart(b: ContentBlock, strict: boolean, param: string): Part | null {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: (b as { text: string }).text };
    case 'image':
      return imagePart((b as { source: Source }).source, strict, param);
    case 'document':
      return documentPart(b as { source: Source; title?: unknown }, strict, param);
    case 'thinking':
    case 'redacted_thinking':
      return null;
    default: {
      const text = str((b as { text?: unknown }).text);
      return text !== undefined ? { type: 'text', text } : unsupported(strict, `A "${b.type}" content block`, param);
    }
  }
}

/** Text-only content becomes a string: every chat server reads that, not all read part arrays. */
function content(parts: Part[]): string | Part[] {
  return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text as string).join('\n') : parts;
}

function toolResult(b: ToolResultBlock, strict: boolean, param: string): { message: ChatMessage; extra: Part[] } {
  const c = b.content;
  const parts = typeof c === 'string' ? [{ type: 'text', text: c } as Part] : (c ?? []).flatMap((x, k) => userPart(x, strict, `${param}.content.${k}`) ?? []);
  // A chat tool message holds text only: images a tool returned follow in the next user turn.
  const text = parts.filter((p) => p.type === 'text').map((p) => p.text as string).join('\n');
  const extra = parts.filter((p) => p.type !== 'text');
  return { message: { role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error ? `Error: ${text}` : text }, extra };
}

function userTurn(blocks: ContentBlock[], strict: boolean, param: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: Part[] = [];
  blocks.forEach((b, j) => {
    const p = `${param}.content.${j}`;
    if (b.type === 'tool_result') {
      const r = toolResult(b as ToolResultBlock, strict, p);
      out.push(r.message); // chat wants tool results right after the assistant turn that called them
      parts.push(...r.extra);
    } else if (b.type === 'tool_use') {
      unsupported(strict, 'A tool_use block in a user turn', p);
    } else {
      const part = userPart(b, strict, p);
      if (part) parts.push(part);
    }
  });
  if (parts.length) out.push({ role: 'user', content: content(parts) });
  return out;
}

/** Text and tool calls; thinking and server-tool blocks (the output of an earlier native call) have no chat form and are left out. */
function assistantTurn(blocks: ContentBlock[]): ChatMessage[] {
  const texts: string[] = [];
  const calls: NonNullable<Extract<ChatMessage, { role: 'assistant' }>['tool_calls']> = [];
  for (const b of blocks) {
    if (b.type === 'text') texts.push((b as { text: string }).text);
    else if (b.type === 'tool_use') {
      const t = b as ToolUseBlock;
      calls.push({ id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input) } });
    }
  }
  if (!texts.length && !calls.length) return [];
  return [{ role: 'assistant', content: texts.length ? texts.join('') : null, ...(calls.length ? { tool_calls: calls } : {}) }];
}

function turn(m: MessageParam, i: number, strict: boolean): ChatMessage[] {
  const param = `messages.${i}`;
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  if (m.role === 'assistant') return assistantTurn(m.content);
  if (m.role === 'system') return [{ role: 'system', content: m.content.map((b) => str((b as { text?: unknown }).text) ?? '').join('\n') }];
  return userTurn(m.content, strict, param);
}

function tools(req: CountTokensRequest, strict: boolean): FunctionTool[] {
  const out: FunctionTool[] = [];
  (req.tools ?? []).forEach((t, i) => {
    const client = t.input_schema && (t.type === undefined || t.type === 'custom');
    if (client) {
      out.push({ type: 'function', function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.input_schema } });
    } else unsupported(strict, `The server tool "${t.name}"${t.type ? ` (${t.type})` : ''}`, `tools.${i}`);
  });
  return out;
}

function toolChoice(req: CountTokensRequest, strict: boolean): Pick<ChatRequest, 'tool_choice' | 'parallel_tool_calls'> {
  const c = req.tool_choice;
  if (!c) return {};
  const parallel = c.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  if (c.type === 'none') return { tool_choice: 'none' };
  if (c.type === 'any') return { tool_choice: 'required', ...parallel };
  if (c.type === 'tool') {
    if (c.name) return { tool_choice: { type: 'function', function: { name: c.name } }, ...parallel };
    if (strict) throw new GatewayError('invalid_request', 'tool_choice.name: required when tool_choice.type is "tool".', { param: 'tool_choice.name' });
    return { tool_choice: 'required', ...parallel };
  }
  return { tool_choice: 'auto', ...parallel };
}

/** Structured outputs (`output_config.format`, earlier `output_format`) as a strict json_schema response format. */
function responseFormat(req: CountTokensRequest): Pick<ChatRequest, 'response_format'> {
  const r = req as Record<string, unknown>;
  const format = ((r.output_config as { format?: unknown } | undefined)?.format ?? r.output_format) as { type?: unknown; schema?: unknown } | undefined;
  if (format?.type !== 'json_schema' || !format.schema || typeof format.schema !== 'object') return {};
  return { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: format.schema as Record<string, unknown>, strict: true } } };
}

export function toChatRequest(req: MessagesRequest | CountTokensRequest, opts: ToChatOptions): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = typeof req.system === 'string' ? req.system : (req.system ?? []).map((b) => b.text).join('\n');
  if (system) messages.push({ role: 'system', content: system });
  req.messages.forEach((m, i) => messages.push(...turn(m, i, opts.strict)));
  const fnTools = tools(req, opts.strict);
  const out: ChatRequest = { model: req.model, messages, ...responseFormat(req) };
  if (fnTools.length) Object.assign(out, { tools: fnTools }, toolChoice(req, opts.strict));
  if (req.max_tokens !== undefined) {
    if (opts.kind === 'openai' || opts.kind === 'azure-openai') out.max_completion_tokens = req.max_tokens;
    else out.max_tokens = req.max_tokens;
  }
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  const user = req.metadata?.user_id;
  if (user && user.length <= LIMITS.userChars) out.user = user;
  if ((req as { stream?: boolean }).stream) Object.assign(out, { stream: true, stream_options: { include_usage: true } });
  return out;
}
