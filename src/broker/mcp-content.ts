// The text-bearing parts of MCP arguments and results: what PII rules read and rewrite (never images, audio or blobs).
import { isJsonObject, type JsonObject } from '../mcp/upstream/rpc.js';
import type { McpMethod } from './mcp-operation.js';

type Json = JsonObject[string];


/** Text of one content block (text, or an embedded text resource), else null. */
function textOf(block: unknown): string | null {
  if (!isJsonObject(block)) return null;
  if (block.type === 'text' && typeof block.text === 'string') return block.text;
  if (block.type === 'resource' && isJsonObject(block.resource) && typeof block.resource.text === 'string') return block.resource.text;
  return null;
}

function withText(block: JsonObject, text: string): JsonObject {
  if (block.type === 'text') return { ...block, text };
  return { ...block, resource: { ...(block.resource as JsonObject), text } };
}

export interface ContentView {
  /** Only strings and plain containers: safe to hand to the PII walker. */
  view: unknown;
  /** Puts a (possibly rewritten) view back into a copy of the original. */
  apply(view: unknown): JsonObject;
}

export function resultView(method: McpMethod, result: JsonObject): ContentView {
  if (method === 'tools/call') {
    const content = Array.isArray(result.content) ? result.content : [];
    return {
      view: { texts: content.map(textOf), structured: result.structuredContent ?? null },
      apply(v) {
        const { texts, structured } = v as { texts: Array<string | null>; structured: Json };
        const out: JsonObject = { ...result, content: content.map((b, i) => (texts[i] !== null && isJsonObject(b) ? withText(b, texts[i]!) : b)) };
        if (result.structuredContent !== undefined) out.structuredContent = structured;
        return out;
      },
    };
  }
  if (method === 'resources/read') {
    const contents = Array.isArray(result.contents) ? result.contents : [];
    return {
      view: contents.map((c) => (isJsonObject(c) && typeof c.text === 'string' ? c.text : null)),
      apply: (v) => ({ ...result, contents: contents.map((c, i) => ((v as Array<string | null>)[i] !== null && isJsonObject(c) ? { ...c, text: (v as string[])[i]! } : c)) }),
    };
  }
  const messages = Array.isArray(result.messages) ? result.messages : [];
  return {
    view: { description: result.description ?? null, texts: messages.map((m) => (isJsonObject(m) ? textOf(m.content) : null)) },
    apply(v) {
      const { description, texts } = v as { description: Json; texts: Array<string | null> };
      const out: JsonObject = {
        ...result,
        messages: messages.map((m, i) => (texts[i] !== null && isJsonObject(m) && isJsonObject(m.content) ? { ...m, content: withText(m.content, texts[i]!) } : m)),
      };
      if (result.description !== undefined) out.description = description;
      return out;
    },
  };
}
