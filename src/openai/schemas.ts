// zod schemas for the OpenAI request bodies the gateway accepts; unknown fields are kept and passed on.
import { z } from 'zod';
import { isSafeText } from '../http/text-bounds.js';

/**
 * Bounds on what a client controls. Generous next to OpenAI's own (what real SDKs send must pass),
 * but finite: every count and size the gateway, the mock or a label could act on has a ceiling.
 */
export const LIMITS = {
  nameChars: 256,
  messages: 100_000,
  contentParts: 10_000,
  tools: 512,
  toolCalls: 1_024,
  idChars: 1_024,
  stopChars: 4_096,
  userChars: 1_024,
  metadataPairs: 16,
  metadataKeyChars: 64,
  metadataValueChars: 512,
  maxTokens: 2 ** 31 - 1,
  n: 128,
  embeddingInputs: 2_048,
  embeddingTokens: 65_536,
  dimensions: 65_536,
} as const;

/** A model name: 1-256 printable characters (any script), no controls, no NUL, no lone surrogates. */
export const ModelNameSchema = z
  .string()
  .min(1)
  .max(LIMITS.nameChars)
  .refine(isSafeText, 'must be printable text (no control characters, NUL or lone surrogates)');

/** A tool or function name: visible ASCII, no spaces (every provider's own rule is narrower). */
const ToolNameSchema = z
  .string()
  .min(1)
  .max(LIMITS.nameChars)
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces');

const nameField = z.string().max(LIMITS.nameChars).optional();
const maxTokens = z.number().int().positive().max(LIMITS.maxTokens).nullable().optional();

const TextPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
const ImagePartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const OtherPartSchema = z.looseObject({ type: z.string().max(LIMITS.nameChars) });
export const ContentPartSchema = z.union([TextPartSchema, ImagePartSchema, OtherPartSchema]);
const ContentSchema = z.union([z.string(), z.array(ContentPartSchema).max(LIMITS.contentParts)]);

export const ToolCallSchema = z.looseObject({
  id: z.string().max(LIMITS.idChars),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().max(LIMITS.nameChars), arguments: z.string() }),
});

export const MessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: ContentSchema, name: nameField }),
  z.looseObject({ role: z.literal('developer'), content: ContentSchema, name: nameField }),
  z.looseObject({ role: z.literal('user'), content: ContentSchema, name: nameField }),
  z.looseObject({
    role: z.literal('assistant'),
    content: ContentSchema.nullable().optional(),
    name: nameField,
    tool_calls: z.array(ToolCallSchema).max(LIMITS.toolCalls).optional(),
    refusal: z.string().nullable().optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content: ContentSchema, tool_call_id: z.string().max(LIMITS.idChars) }),
]);

export const FunctionToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: ToolNameSchema,
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.object({ name: ToolNameSchema }) }),
]);

const ResponseFormatSchema = z.union([
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().max(LIMITS.nameChars),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
      description: z.string().optional(),
    }),
  }),
]);

/** OpenAI's metadata rule: at most 16 pairs, keys up to 64 characters, values up to 512. */
const MetadataSchema = z
  .record(z.string().max(LIMITS.metadataKeyChars), z.string().max(LIMITS.metadataValueChars))
  .refine((m) => Object.keys(m).length <= LIMITS.metadataPairs, `must have at most ${LIMITS.metadataPairs} pairs`);

const StopSchema = z.union([z.string().max(LIMITS.stopChars), z.array(z.string().max(LIMITS.stopChars)).max(4)]);
const UserSchema = z.string().max(LIMITS.userChars);

export const ChatRequestSchema = z.looseObject({
  model: ModelNameSchema,
  messages: z.array(MessageSchema).min(1).max(LIMITS.messages),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z.array(FunctionToolSchema).max(LIMITS.tools).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormatSchema.optional(),
  n: z.number().int().min(1).max(LIMITS.n).nullable().optional(),
  stop: StopSchema.nullable().optional(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  user: UserSchema.optional(),
  metadata: MetadataSchema.nullable().optional(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = z.infer<typeof MessageSchema>;
export type ContentPart = z.infer<typeof ContentPartSchema>;
export type FunctionTool = z.infer<typeof FunctionToolSchema>;

const TokenArraySchema = z.array(z.number().int().min(0).max(LIMITS.maxTokens)).min(1).max(LIMITS.embeddingTokens);

export const EmbeddingsRequestSchema = z.looseObject({
  model: ModelNameSchema,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(LIMITS.embeddingInputs),
    TokenArraySchema,
    z.array(TokenArraySchema).min(1).max(LIMITS.embeddingInputs),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().max(LIMITS.dimensions).optional(),
  user: UserSchema.optional(),
});

export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;
