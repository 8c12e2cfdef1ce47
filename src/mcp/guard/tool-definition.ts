// A tool's pinned definition: the model-visible fields of a tools/list entry, their canonical hash, and the bounded copy stored.
import { canonical, sha256 } from '../../tracing/audit-chain.js';
import { storableSync } from '../../storage/storable.js';
import type { JsonObject } from '../upstream/rpc.js';

/** What the model sees of a tool and what decides how it is called; `_meta`, icons and the like are left out (servers vary them freely). */
export const DEFINITION_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

export type DefinitionField = (typeof DEFINITION_FIELDS)[number];
export type ToolDefinition = Partial<Record<DefinitionField, unknown>>;

/** A stored definition past this (canonical JSON, roughly) is cut and marked `_truncated`; its hash still covers all of it. */
export const STORED_DEFINITION_MAX_BYTES = 64 * 1024;
const STORED_DEFINITION_MAX_DEPTH = 64;

export function toolDefinition(tool: JsonObject): ToolDefinition {
  const def: ToolDefinition = {};
  for (const f of DEFINITION_FIELDS) if (tool[f] !== undefined) def[f] = tool[f];
  return def;
}

/**
 * sha256 (hex) of the definition as canonical JSON: object keys sorted at every level (UTF-16 order, as RFC 8785),
 * no whitespace, so key order and formatting never change a pin but any change of a word or a schema does.
 */
export function definitionHash(def: ToolDefinition): string {
  return sha256(canonical(def));
}

/** The copy kept in the database: well-formed text, bounded depth and size. */
export function storedDefinition(def: ToolDefinition): unknown {
  const s = storableSync(def, { maxDepth: STORED_DEFINITION_MAX_DEPTH, maxBytes: STORED_DEFINITION_MAX_BYTES });
  return s.truncated && s.value && typeof s.value === 'object' ? { ...(s.value as object), _truncated: true } : s.value;
}
