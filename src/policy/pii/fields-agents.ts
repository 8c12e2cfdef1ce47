// Which fields of the agent doors' bodies (Anthropic Messages, OpenAI Responses) are content the PII step scans.
import { SCHEMA } from './fields.js';
import { CONTENT, SKIP, type Rule } from './walk.js';

const rule = (scan: boolean, child: (key: string) => Rule): Rule => ({ scan, child });
const skipping = (keys: readonly string[], inner: (key: string) => Rule) => {
  const skip = new Set(keys);
  return (k: string): Rule => (skip.has(k) ? SKIP : inner(k));
};

/**
 * Messages content: a string, or blocks whose text, tool input and tool result content are content. Block structure
 * (type, ids, names, cache_control), images and documents' base64 sources, and thinking blocks stay: a thinking
 * block is signed, and rewriting it would make the provider refuse the conversation.
 */
const BLOCKS: Rule = rule(true, (k) => (k === 'text' || k === 'input' || k === 'title' || k === 'context' ? CONTENT : k === 'content' ? BLOCKS : SKIP));
const MESSAGE: Rule = rule(false, (k) => (k === 'content' ? BLOCKS : SKIP));
const ANTHROPIC_TOOL: Rule = rule(false, (k) => (k === 'description' ? CONTENT : k === 'input_schema' ? SCHEMA : SKIP));

/** An Anthropic Messages request. `metadata.user_id` is an opaque session id (Claude Code), not prose. */
export const MESSAGES_REQUEST: Rule = rule(
  false,
  skipping(['model', 'stop_sequences', 'tool_choice', 'thinking', 'metadata', 'stream', 'max_tokens', 'temperature', 'top_p', 'top_k', 'service_tier', 'container', 'mcp_servers'], (k) =>
    k === 'messages' ? MESSAGE : k === 'system' ? BLOCKS : k === 'tools' ? ANTHROPIC_TOOL : CONTENT,
  ),
);

/** Responses input parts: `input_text`/`output_text` text; images and files are not read. */
const PARTS: Rule = rule(true, (k) => (k === 'text' ? CONTENT : SKIP));
/** Responses input items: message content, function call arguments and outputs; ids, names and encrypted reasoning stay. */
const ITEMS: Rule = rule(true, (k) => (k === 'content' ? PARTS : k === 'arguments' || k === 'output' ? CONTENT : SKIP));
const RESPONSES_TOOL: Rule = rule(false, (k) => (k === 'description' ? CONTENT : k === 'parameters' ? SCHEMA : SKIP));
const TEXT_FORMAT: Rule = rule(false, (k) => (k === 'format' ? rule(false, (f) => (f === 'schema' ? SCHEMA : f === 'description' ? CONTENT : SKIP)) : SKIP));

/** An OpenAI Responses request: instructions, input items, tool descriptions, `user`, `metadata` and unknown fields. */
export const RESPONSES_REQUEST: Rule = rule(
  false,
  skipping(
    ['model', 'tool_choice', 'reasoning', 'previous_response_id', 'store', 'stream', 'include', 'truncation', 'max_output_tokens', 'max_tool_calls', 'parallel_tool_calls', 'temperature', 'top_p', 'top_logprobs', 'service_tier', 'prompt_cache_key', 'background', 'stream_options'],
    (k) => (k === 'input' ? ITEMS : k === 'tools' ? RESPONSES_TOOL : k === 'text' ? TEXT_FORMAT : CONTENT),
  ),
);

/** A Messages answer: text blocks and tool inputs; thinking (signed), ids, usage and stop details stay. */
export const MESSAGES_RESPONSE: Rule = rule(false, (k) => (k === 'content' ? BLOCKS : SKIP));

/** A Responses answer: message text and function-call arguments in `output`, and the convenience `output_text`; reasoning (encrypted) stays. */
const OUTPUT_ITEMS: Rule = rule(false, (k) => (k === 'content' ? PARTS : k === 'arguments' ? CONTENT : SKIP));
export const RESPONSES_RESPONSE: Rule = rule(false, (k) => (k === 'output' ? OUTPUT_ITEMS : k === 'output_text' ? CONTENT : SKIP));
