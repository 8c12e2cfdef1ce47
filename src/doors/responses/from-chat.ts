// A chat completion as a Responses response object: message and function_call output items, status, usage, echoed options.
import type { ChatCompletion, FinishReason, Usage } from '../../openai/types.js';
import type { ResponsesRequest } from './schema.js';
import { newId, type FunctionCallOutput, type MessageOutput, type OutputItem, type ResponseObject, type ResponseStatus, type ResponseUsage } from './types.js';

export function usageFromChat(u: Usage | null | undefined): ResponseUsage | undefined {
  if (!u) return undefined;
  const write = u.prompt_tokens_details?.cache_write_tokens;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0, ...(write ? { cache_write_tokens: write } : {}) },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens || u.prompt_tokens + u.completion_tokens,
  };
}

/** How a finished chat choice ends a response: `length` and `content_filter` leave it incomplete, as OpenAI reports them. */
export function statusOf(finish: FinishReason | null | undefined): { status: ResponseStatus; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The response object's fields that echo the request (the SDKs read several of them back). */
export function responseShell(req: ResponsesRequest, id: string, createdAt: number, model: string): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: req.store ?? true,
    temperature: req.temperature ?? null,
    text: req.text ?? { format: { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

export function messageItem(text: string | null, refusal: string | null | undefined, status: MessageOutput['status'], id = newId('msg')): MessageOutput {
  const content: MessageOutput['content'] = [];
  if (text !== null) content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal) content.push({ type: 'refusal', refusal });
  return { id, type: 'message', role: 'assistant', status, content };
}

export function functionCallItem(callId: string, name: string, args: string, status: FunctionCallOutput['status'], id = newId('fc')): FunctionCallOutput {
  return { id, type: 'function_call', call_id: callId, name, arguments: args, status };
}

/** The first choice as a response (the Responses API has no `n`). */
export function responseFromChat(req: ResponsesRequest, c: ChatCompletion): ResponseObject {
  const choice = c.choices[0];
  const msg = choice?.message;
  const { status, incomplete_details } = statusOf(choice?.finish_reason);
  const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
  const output: OutputItem[] = [];
  const calls = msg?.tool_calls ?? [];
  // Some providers send `content: ""` next to tool calls: no message item for that.
  if (msg?.content || msg?.refusal || !calls.length) output.push({ ...messageItem(msg?.content ?? (msg?.refusal ? null : ''), msg?.refusal, itemStatus) });
  for (const tc of calls) output.push({ ...functionCallItem(tc.id, tc.function.name, tc.function.arguments, 'completed') });
  const usage = usageFromChat(c.usage);
  return {
    ...responseShell(req, newId('resp'), c.created || Math.floor(Date.now() / 1000), c.model),
    status,
    incomplete_details,
    output,
    usage: usage ?? null,
  };
}
