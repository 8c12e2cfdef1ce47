// The OpenAI Responses shapes the door produces and reads: the response object, its output items, usage and stream events.
import { randomBytes } from 'node:crypto';

export type ResponseStatus = 'completed' | 'incomplete' | 'failed' | 'in_progress' | 'cancelled' | 'queued';

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; [k: string]: unknown };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number; [k: string]: unknown };
  total_tokens: number;
}

export type OutputTextPart = {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
};

export type RefusalPart = {
  type: 'refusal';
  refusal: string;
};

/** Type aliases, not interfaces: they then fit OutputItem's index signature. */
export type MessageOutput = {
  id: string;
  type: 'message';
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: Array<OutputTextPart | RefusalPart>;
};

export type FunctionCallOutput = {
  id: string;
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
};

/** An output item: the two the translation produces, or anything a native upstream sends (reasoning, …). */
export type OutputItem = { type: string; id?: string; [k: string]: unknown };

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: OutputItem[];
  usage?: ResponseUsage | null;
  error: unknown;
  incomplete_details: { reason: string } | null;
  [k: string]: unknown;
}

/** One stream event; `type` names it, and the SSE encoder numbers it (`sequence_number`) in the order it is sent. */
export interface ResponsesEvent {
  type: string;
  sequence_number?: number;
  [k: string]: unknown;
}

/** OpenAI-style ids (`resp_…`, `msg_…`, `fc_…`): a prefix and 48 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
