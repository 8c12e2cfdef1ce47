// zod schema of the Anthropic Messages request the door accepts: bounded like the OpenAI ones, unknown fields kept for pass-through.
import { z } from 'zod';
import { LIMITS, ModelNameSchema } from '../../openai/schemas.js';

/** Anthropic-only bounds; the shared ones (messages, content parts, tools, max tokens) come from LIMITS. */
export const MESSAGES_LIMITS = {
  stopSequences: 256,
  userIdChars: 4_096,
  systemBlocks: 10_000,
} as const;

const TypeName = z.string().min(1).max(LIMITS.nameChars);
const Id = z.string().max(LIMITS.idChars);
/** A tool name: visible ASCII, no spaces (Anthropic's own rule is narrower; MCP names such as `mcp__fs__read` pass). */
const ToolName = z.string().min(1).max(LIMITS.nameChars).regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces');

export const TextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
const ImageSourceSchema = z.union([
  z.looseObject({ type: z.literal('base64'), media_type: z.string().max(LIMITS.nameChars), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  z.looseObject({ type: TypeName }),
]);
export const ImageBlockSchema = z.looseObject({ type: z.literal('image'), source: ImageSourceSchema });
export const DocumentBlockSchema = z.looseObject({ type: z.literal('document'), source: z.looseObject({ type: TypeName }) });
export const ToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: Id,
  name: ToolName,
  input: z.record(z.string(), z.unknown()),
});
const ToolResultContentSchema = z.union([
  z.string(),
  z.array(z.union([TextBlockSchema, ImageBlockSchema, DocumentBlockSchema, z.looseObject({ type: TypeName })])).max(LIMITS.contentParts),
]);
export const ToolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: Id,
  content: ToolResultContentSchema.optional(),
  is_error: z.boolean().optional(),
});
export const ThinkingBlockSchema = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() });
export const RedactedThinkingBlockSchema = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

const KNOWN_BLOCKS = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);
/** Block types the door does not read (server tool results, search results, containers …): kept as they are. */
const OtherBlockSchema = z.looseObject({
  type: TypeName.refine((t) => !KNOWN_BLOCKS.has(t), 'is a known block type with missing or invalid fields'),
});

export const ContentBlockSchema = z.union([
  TextBlockSchema,
  ImageBlockSchema,
  DocumentBlockSchema,
  ToolUseBlockSchema,
  ToolResultBlockSchema,
  ThinkingBlockSchema,
  RedactedThinkingBlockSchema,
  OtherBlockSchema,
]);

/** `system` turns are newer API surface (instructions mid-conversation); their content is text. */
export const MessageParamSchema = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(ContentBlockSchema).max(LIMITS.contentParts)]),
});

/** A client tool (`custom`, or no type) has an input schema; server tools (`web_search_…`, `bash_…`) have a versioned type instead. */
export const ToolSchema = z.looseObject({
  name: ToolName,
  type: TypeName.optional(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

export const ToolChoiceSchema = z.looseObject({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: ToolName.optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

export const MessagesRequestSchema = z.looseObject({
  model: ModelNameSchema,
  messages: z.array(MessageParamSchema).min(1).max(LIMITS.messages),
  max_tokens: z.number().int().positive().max(LIMITS.maxTokens),
  system: z.union([z.string(), z.array(TextBlockSchema).max(MESSAGES_LIMITS.systemBlocks)]).optional(),
  stop_sequences: z.array(z.string().max(LIMITS.stopChars)).max(MESSAGES_LIMITS.stopSequences).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).max(LIMITS.maxTokens).optional(),
  metadata: z.looseObject({ user_id: z.string().max(MESSAGES_LIMITS.userIdChars).nullable().optional() }).optional(),
  tools: z.array(ToolSchema).max(LIMITS.tools).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  thinking: z.looseObject({ type: TypeName, budget_tokens: z.number().int().positive().max(LIMITS.maxTokens).optional() }).optional(),
});

/** count_tokens takes the same body without max_tokens (and never streams). */
export const CountTokensRequestSchema = MessagesRequestSchema.omit({ max_tokens: true, stream: true }).extend({
  max_tokens: z.number().int().positive().max(LIMITS.maxTokens).optional(),
});

export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;
export type MessageParam = z.infer<typeof MessageParamSchema>;
export type ContentBlock = z.infer<typeof ContentBlockSchema>;
export type TextBlock = z.infer<typeof TextBlockSchema>;
export type ImageBlock = z.infer<typeof ImageBlockSchema>;
export type DocumentBlock = z.infer<typeof DocumentBlockSchema>;
export type ToolUseBlock = z.infer<typeof ToolUseBlockSchema>;
export type ToolResultBlock = z.infer<typeof ToolResultBlockSchema>;
export type MessagesTool = z.infer<typeof ToolSchema>;
