// A Responses request as the gateway's internal chat request: instructions, input items, function tools and options.
import { GatewayError } from '../../errors.js';
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool } from '../../openai/schemas.js';
import type { InputItem, InputPart, ResponsesRequest } from './schema.js';
import { isRecord } from './types.js';

type Assistant = Extract<ChatMessage, { role: 'assistant' }>;

const unsupported = (message: string, param: string): GatewayError => new GatewayError('unsupported', message, { param });

/** Strict: what cannot be translated is a 400 (the call goes to a provider through chat). Lenient: it is left out (routing and counting only). */
export interface TranslateOptions {
  strict: boolean;
}

/** Throws in strict mode; in lenient mode returns null so the caller drops the value. */
function refuse(o: TranslateOptions, message: string, param: string): null {
  if (o.strict) throw unsupported(message, param);
  return null;
}

const DETAILS = new Set(['auto', 'low', 'high']);

function part(p: InputPart, param: string, o: TranslateOptions): ContentPart | null {
  const r = p as Record<string, unknown>;
  if (p.type === 'input_text' || p.type === 'output_text') return { type: 'text', text: String(r.text) };
  if (p.type === 'input_image' && typeof r.image_url === 'string') {
    const detail = typeof r.detail === 'string' && DETAILS.has(r.detail) ? (r.detail as 'auto' | 'low' | 'high') : 'auto';
    return { type: 'image_url', image_url: { url: r.image_url, detail } };
  }
  if (p.type === 'input_file' && typeof r.file_data === 'string') {
    return { type: 'file', file: { file_data: r.file_data, ...(typeof r.filename === 'string' ? { filename: r.filename } : {}) } };
  }
  if (p.type === 'input_image' || p.type === 'input_file') {
    return refuse(o, `A ${p.type} part needs inline data (image_url or file_data): OpenAI file ids and file URLs are only readable by OpenAI.`, param);
  }
  return refuse(o, `The content part type "${p.type}" cannot be sent to this provider.`, `${param}.type`);
}

function content(c: string | InputPart[], param: string, o: TranslateOptions): string | ContentPart[] {
  return typeof c === 'string' ? c : c.flatMap((p, i) => part(p, `${param}[${i}]`, o) ?? []);
}

/** An assistant turn's text: output_text parts joined (the chat format has one text per assistant message). */
function assistantText(c: string | InputPart[]): { text: string | null; refusal: string | null } {
  if (typeof c === 'string') return { text: c, refusal: null };
  const texts = c.filter((p) => p.type === 'output_text' || p.type === 'input_text').map((p) => String((p as Record<string, unknown>).text));
  const refusals = c.filter((p) => p.type === 'refusal').map((p) => String((p as Record<string, unknown>).refusal ?? ''));
  return { text: texts.length ? texts.join('') : null, refusal: refusals.length ? refusals.join('') : null };
}

/** Input items as chat messages; consecutive function calls join the assistant turn before them, as chat expects. */
export function itemsToMessages(items: InputItem[], o: TranslateOptions): ChatMessage[] {
  const out: ChatMessage[] = [];
  let open: Assistant | null = null; // the assistant message function calls may still join
  for (const [i, item] of items.entries()) {
    const param = `input[${i}]`;
    const r = item as Record<string, unknown>;
    if (item.type === 'function_call') {
      const call = { id: String(r.call_id), type: 'function' as const, function: { name: String(r.name), arguments: String(r.arguments) } };
      if (!open) {
        open = { role: 'assistant', content: null, tool_calls: [] };
        out.push(open);
      }
      (open.tool_calls ??= []).push(call);
      continue;
    }
    if (item.type === 'function_call_output') {
      const output = r.output as string | InputPart[];
      out.push({ role: 'tool', tool_call_id: String(r.call_id), content: content(output, `${param}.output`, o) });
      open = null;
      continue;
    }
    if (item.type === undefined || item.type === 'message') {
      const role = r.role as 'user' | 'assistant' | 'system' | 'developer';
      const c = r.content as string | InputPart[];
      if (role === 'assistant') {
        const { text, refusal } = assistantText(c);
        open = { role: 'assistant', content: text, ...(refusal !== null ? { refusal } : {}) };
        out.push(open);
      } else {
        out.push({ role, content: content(c, `${param}.content`, o) });
        open = null;
      }
      continue;
    }
    // Reasoning is the upstream's own (often encrypted) state: another provider cannot read it, and chat has no field for it.
    if (item.type === 'reasoning') continue;
    refuse(o, `The input item type "${item.type}" cannot be sent to this provider.`, `${param}.type`);
  }
  return out;
}

function tools(req: ResponsesRequest, o: TranslateOptions): { tools?: FunctionTool[]; tool_choice?: ChatRequest['tool_choice'] } {
  let list = (req.tools ?? []).flatMap((t, i): FunctionTool[] => {
    if (t.type !== 'function') return refuse(o, `The tool type "${t.type}" needs a provider that speaks the Responses API natively (OpenAI); only function tools translate to other providers.`, `tools[${i}].type`) ?? [];
    const r = t as Record<string, unknown>;
    const fn: FunctionTool['function'] = { name: String(r.name) };
    if (typeof r.description === 'string') fn.description = r.description;
    if (isRecord(r.parameters)) fn.parameters = r.parameters;
    if (typeof r.strict === 'boolean') fn.strict = r.strict;
    return [{ type: 'function', function: fn }];
  });
  const tc = req.tool_choice;
  let choice: ChatRequest['tool_choice'];
  if (typeof tc === 'string') choice = tc;
  else if (tc?.type === 'function' && typeof tc.name === 'string') choice = { type: 'function', function: { name: tc.name } };
  else if (tc?.type === 'allowed_tools') {
    // Chat completions has no allowed-tools choice everywhere: offer only the allowed functions instead.
    const allowed = new Set((Array.isArray(tc.tools) ? tc.tools : []).map((t) => (isRecord(t) ? t.name : undefined)));
    list = list.filter((t) => allowed.has(t.function.name));
    choice = tc.mode === 'required' ? 'required' : 'auto';
  } else if (tc) refuse(o, `The tool_choice type "${tc.type}" is not supported by the gateway.`, 'tool_choice.type');
  return { ...(list.length ? { tools: list } : {}), ...(choice && (list.length || choice === 'none') ? { tool_choice: choice } : {}) };
}

function responseFormat(req: ResponsesRequest): ChatRequest['response_format'] {
  const f = req.text?.format;
  if (!f) return undefined;
  if (f.type === 'json_schema') {
    const r = f as Record<string, unknown>;
    return {
      type: 'json_schema',
      json_schema: {
        name: String(r.name),
        schema: r.schema as Record<string, unknown>,
        ...(typeof r.strict === 'boolean' ? { strict: r.strict } : {}),
        ...(typeof r.description === 'string' ? { description: r.description } : {}),
      },
    };
  }
  return { type: f.type as 'text' | 'json_object' };
}

/** The chat view of a Responses request (its `previous_response_id` must already be expanded into `input`). */
export function toChatRequest(req: ResponsesRequest, o: TranslateOptions = { strict: true }): ChatRequest {
  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  const input = req.input ?? [];
  messages.push(...(typeof input === 'string' ? [{ role: 'user' as const, content: input }] : itemsToMessages(input, o)));
  if (!messages.length && o.strict) throw new GatewayError('invalid_request', 'The request has no input.', { param: 'input' });
  const chat: ChatRequest = { model: req.model, messages, ...tools(req, o) };
  const format = responseFormat(req);
  if (format) chat.response_format = format;
  if (req.max_output_tokens != null) chat.max_completion_tokens = req.max_output_tokens;
  if (req.parallel_tool_calls != null && chat.tools) chat.parallel_tool_calls = req.parallel_tool_calls;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.user !== undefined) chat.user = req.user;
  // metadata stays with the gateway (echoed, stored, audited): chat upstreams refuse it unless they store completions.
  if (req.reasoning?.effort) chat.reasoning_effort = req.reasoning.effort;
  if (req.stream) chat.stream = true;
  return chat;
}
