// zod schema for POST /v1/responses: bounded like the chat schema, unknown fields kept for a native pass-through.
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { LIMITS, ModelNameSchema } from '../../openai/schemas.js';

const idField = z.string().max(LIMITS.idChars);
const typeField = z.string().max(LIMITS.nameChars);
/** Function names as the chat schema takes them: visible ASCII, no spaces. */
const FunctionNameSchema = z.string().min(1).max(LIMITS.nameChars).regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces');

/** Every item type but these three passes as an opaque item (the pass-through knows them; the translation says which it cannot map). */
const TYPED_ITEMS = new Set(['message', 'function_call', 'function_call_output']);
const TEXT_PARTS = new Set(['input_text', 'output_text']);

const TextPartSchema = z.looseObject({ type: z.enum(['input_text', 'output_text']), text: z.string() });
const OtherPartSchema = z.looseObject({ type: typeField.refine((t) => !TEXT_PARTS.has(t), 'text parts need a text string') });
export const InputPartSchema = z.union([TextPartSchema, OtherPartSchema]);
const PartsSchema = z.array(InputPartSchema).max(LIMITS.contentParts);

const MessageItemSchema = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), PartsSchema]),
  id: idField.optional(),
});
const FunctionCallItemSchema = z.looseObject({
  type: z.literal('function_call'),
  call_id: idField,
  name: FunctionNameSchema,
  arguments: z.string(),
  id: idField.optional(),
});
const FunctionCallOutputItemSchema = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: idField,
  output: z.union([z.string(), PartsSchema]),
  id: idField.nullable().optional(),
});
const OtherItemSchema = z.looseObject({ type: typeField.refine((t) => !TYPED_ITEMS.has(t), 'item does not match its type') });

export const InputItemSchema = z.union([MessageItemSchema, FunctionCallItemSchema, FunctionCallOutputItemSchema, OtherItemSchema]);

export const FunctionToolSchema = z.looseObject({
  type: z.literal('function'),
  name: FunctionNameSchema,
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
const OtherToolSchema = z.looseObject({ type: typeField.refine((t) => t !== 'function', 'function tools need a name') });
const ToolSchema = z.union([FunctionToolSchema, OtherToolSchema]);

const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), name: FunctionNameSchema }),
  z.looseObject({ type: typeField }),
]);

const TextFormatSchema = z.union([
  z.looseObject({ type: z.enum(['text', 'json_object']) }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().max(LIMITS.nameChars),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullable().optional(),
    description: z.string().optional(),
  }),
]);

const MetadataSchema = z
  .record(z.string().max(LIMITS.metadataKeyChars), z.string().max(LIMITS.metadataValueChars))
  .refine((m) => Object.keys(m).length <= LIMITS.metadataPairs, `must have at most ${LIMITS.metadataPairs} pairs`);

export const ResponsesRequestSchema = z.looseObject({
  model: ModelNameSchema,
  input: z.union([z.string(), z.array(InputItemSchema).max(LIMITS.messages)]).optional(),
  instructions: z.string().nullable().optional(),
  tools: z.array(ToolSchema).max(LIMITS.tools).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.looseObject({ format: TextFormatSchema.optional(), verbosity: z.string().max(32).nullable().optional() }).nullable().optional(),
  reasoning: z.looseObject({ effort: z.string().max(32).nullable().optional(), summary: z.string().max(32).nullable().optional() }).nullable().optional(),
  max_output_tokens: z.number().int().positive().max(LIMITS.maxTokens).nullable().optional(),
  metadata: MetadataSchema.nullable().optional(),
  store: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  previous_response_id: idField.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  user: z.string().max(LIMITS.userChars).optional(),
  include: z.array(z.string().max(LIMITS.nameChars)).max(64).nullable().optional(),
});

export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;
export type InputItem = z.infer<typeof InputItemSchema>;
export type InputPart = z.infer<typeof InputPartSchema>;
export type ResponsesFunctionTool = z.infer<typeof FunctionToolSchema>;

/** Fields that ask OpenAI to keep state or run work the gateway does not run: refused with a 400 naming the field. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  conversation: 'OpenAI conversations are not available through the gateway; use previous_response_id or send the full input.',
  background: 'background responses are not supported by the gateway.',
  prompt: 'stored prompt templates are not available through the gateway; send instructions and input instead.',
};

/**
 * Tools the client runs itself: the model only emits calls, which come back through the gateway (and its policy).
 * Function tools go to every provider; the others (Codex's freeform `apply_patch`, shells) only to a native upstream.
 */
export const CLIENT_TOOLS = new Set(['function', 'custom', 'local_shell', 'shell', 'apply_patch', 'computer_use_preview', 'computer']);

/**
 * Refuses what the gateway cannot serve, before any routing. Every other tool type is hosted (web search, file search,
 * code interpreter, image generation, remote MCP …): it would run inside OpenAI, outside the gateway's policy and
 * audit, and no other provider has it. Unknown types are refused too: a new type may well be a hosted one.
 */
export function assertServable(req: ResponsesRequest): void {
  for (const [i, t] of (req.tools ?? []).entries()) {
    if (!CLIENT_TOOLS.has(t.type)) {
      throw new GatewayError('unsupported', `The tool type "${t.type}" is not supported by the gateway: hosted tools run outside its policy and audit. Serve tools through the gateway's /mcp and pass them as function tools instead.`, { param: `tools[${i}].type` });
    }
  }
  for (const [field, message] of Object.entries(UNSUPPORTED_FIELDS)) {
    const v = (req as Record<string, unknown>)[field];
    if (v !== undefined && v !== null && v !== false) throw new GatewayError('unsupported', message, { param: field });
  }
}
