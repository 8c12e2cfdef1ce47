// Which fields of each door's input are content the PII step scans; README's PII section lists the same choices.
import { CONTENT, SKIP, type Rule } from './walk.js';

const rule = (scan: boolean, child: (key: string) => Rule): Rule => ({ scan, child });

/**
 * Inside a JSON Schema only the prose (`description`, `title`) is content. Keywords that constrain values
 * (`enum`, `const`, `default`, `examples`, `pattern`) stay, since rewriting them changes what the tool accepts.
 * A property that happens to be named `description` is a schema, and its own keywords stay schema too.
 */
export const SCHEMA: Rule = rule(false, (k) => (k === 'description' || k === 'title' ? SCHEMA_TEXT : SCHEMA));
const SCHEMA_TEXT: Rule = rule(true, () => SCHEMA);

/** A function tool: its description and its parameters' descriptions are read by the model; its name routes calls. */
const FUNCTION: Rule = rule(false, (k) => (k === 'description' ? CONTENT : k === 'parameters' ? SCHEMA : SKIP));
const TOOL: Rule = rule(false, (k) => (k === 'function' ? FUNCTION : k === 'description' ? CONTENT : SKIP));
const JSON_SCHEMA_FORMAT: Rule = rule(false, (k) => (k === 'description' ? CONTENT : k === 'schema' ? SCHEMA : SKIP));
const RESPONSE_FORMAT: Rule = rule(false, (k) => (k === 'json_schema' ? JSON_SCHEMA_FORMAT : SKIP));

/**
 * A chat request: messages (every part, tool call arguments, tool results), `user`, `metadata` values and any
 * field the gateway does not know (it is passed on upstream, so it is treated as content) are scanned. Routing and
 * decoding controls are not: the model name, stop sequences (rewriting one changes where output stops) and
 * tool_choice (a tool name).
 */
export const CHAT_REQUEST: Rule = rule(false, (k) => {
  if (k === 'tools') return TOOL;
  if (k === 'response_format') return RESPONSE_FORMAT;
  if (k === 'model' || k === 'stop' || k === 'tool_choice') return SKIP;
  return CONTENT;
});

/** An embeddings request: `input` (strings; token-id arrays are numbers and cannot be read), `user`, unknown fields. */
export const EMBEDDINGS_REQUEST: Rule = rule(false, (k) => (k === 'model' || k === 'encoding_format' ? SKIP : CONTENT));

/**
 * MCP tool and prompt input: every argument. If the broker hands over `_meta` with the arguments, it is content
 * too, except the progress token, which the client matches progress notifications against.
 */
const MCP_META: Rule = rule(false, (k) => (k === 'progressToken' ? SKIP : CONTENT));
export const MCP_INPUT: Rule = rule(false, (k) => (k === '_meta' ? MCP_META : CONTENT));
