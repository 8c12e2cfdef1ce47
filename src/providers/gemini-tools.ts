// OpenAI tools and tool_choice → Gemini functionDeclarations and toolConfig, with schemas trimmed to what Gemini accepts.
import type { ChatRequest, FunctionTool } from '../openai/schemas.js';
import type { GeminiFunctionDeclaration, GeminiToolConfig } from './gemini-types.js';

/** JSON-schema keywords Gemini's OpenAPI-subset `parameters` rejects with a 400 ("Unknown name …"). */
const UNSUPPORTED_KEYS = new Set([
  '$schema',
  '$id',
  '$comment',
  'additionalProperties',
  'patternProperties',
  'unevaluatedProperties',
  'strict',
  'examples',
]);

/**
 * Recursively drops unsupported keywords. It walks the schema structurally (properties, items, anyOf …)
 * so that a property that happens to be *named* `strict` or `additionalProperties` survives.
 */
export function cleanSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (UNSUPPORTED_KEYS.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, cleanSchema(s)]));
    } else if (key === 'items' || key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'not') {
      out[key] = cleanSchema(value);
    } else if (key === 'type' && Array.isArray(value)) {
      // Gemini takes one type plus `nullable`, not JSON schema's ["string", "null"].
      const types = value.filter((t) => t !== 'null');
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((t: unknown) => ({ type: t }));
      if (types.length < value.length) out.nullable = true;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function toDeclaration(tool: FunctionTool): GeminiFunctionDeclaration {
  const f = tool.function;
  const decl: GeminiFunctionDeclaration = { name: f.name };
  if (f.description) decl.description = f.description;
  const params = f.parameters ? (cleanSchema(f.parameters) as Record<string, unknown>) : undefined;
  // Gemini rejects an OBJECT schema with no properties; a function without parameters just omits them.
  const props = params?.properties;
  const empty = params?.type === 'object' && (!props || Object.keys(props).length === 0);
  if (params && !empty) decl.parameters = params;
  return decl;
}

export function toGeminiTools(tools: ChatRequest['tools']): Array<{ functionDeclarations: GeminiFunctionDeclaration[] }> | undefined {
  const fns = (tools ?? []).filter((t) => t.type === 'function');
  return fns.length ? [{ functionDeclarations: fns.map(toDeclaration) }] : undefined;
}

export function toGeminiToolConfig(choice: ChatRequest['tool_choice']): GeminiToolConfig | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
}
