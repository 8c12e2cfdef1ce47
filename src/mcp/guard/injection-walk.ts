// Which strings of a definition the model sees, with their JSON paths, under a budget a hostile schema cannot exhaust.
import type { DefinitionKind, Profile } from './injection-types.js';
import { visible } from './injection-unicode.js';

export interface Target {
  path: string;
  text: string;
  profile: Profile;
}

/** Where the walk stopped early: the unscanned rest of a definition is itself a finding. */
export interface Truncation {
  path: string;
  reason: 'depth' | 'size' | 'nodes';
}

export const LIMITS = { chars: 131_072, nodes: 20_000, depth: 32 } as const;

/** JSON Schema keywords whose values are identifiers or regexes, not prose: only hidden characters matter there. */
const ID_KEYS = new Set(['$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', 'type', 'format', 'pattern', 'contentEncoding', 'contentMediaType']);
/** Standard keywords (JSON Schema, tool annotations): every other key is a name a server chose, so it is scanned. */
const KNOWN_KEYS = new Set([
  ...ID_KEYS, 'title', 'description', 'properties', 'required', 'items', 'enum', 'const', 'default', 'examples', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'contains',
  'minContains', 'maxContains', 'prefixItems', 'additionalItems', 'additionalProperties', 'patternProperties', 'propertyNames',
  'minProperties', 'maxProperties', 'unevaluatedProperties', 'unevaluatedItems', 'dependentSchemas', 'dependentRequired', 'anyOf',
  'oneOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions', '$comment', 'nullable', 'readOnly', 'writeOnly', 'deprecated',
  'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint',
]);
/** Keys whose values are property names. */
const NAME_LIST_KEYS = new Set(['required']);

export function segment(key: string): string {
  return /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? key : `[${JSON.stringify(visible(key.slice(0, 40)))}]`;
}

const join = (path: string, key: string) => {
  const seg = segment(key);
  return !path ? seg : seg.startsWith('[') ? `${path}${seg}` : `${path}.${seg}`;
};

export interface Walk {
  targets: Target[];
  truncated: Truncation[];
  push(path: string, value: unknown, profile: Profile): void;
  /** Every string under `value` (keys included); `schema` picks profiles by JSON Schema keyword. */
  tree(path: string, value: unknown, mode: 'schema' | 'text' | 'result', depth?: number, parentKey?: string): void;
}

export function createWalk(maxChars: number = LIMITS.chars): Walk {
  let chars = 0;
  let nodes = 0;
  const targets: Target[] = [];
  const truncated: Truncation[] = [];
  const stop = (path: string, reason: Truncation['reason']) => {
    if (!truncated.some((t) => t.reason === reason)) truncated.push({ path, reason });
  };
  const full = () => chars >= maxChars || nodes >= LIMITS.nodes;

  const push: Walk['push'] = (path, value, profile) => {
    if (typeof value !== 'string' || value.length === 0) return;
    if (++nodes > LIMITS.nodes) return stop(path, 'nodes');
    const room = maxChars - chars;
    if (room <= 0) return stop(path, 'size');
    const text = value.length > room ? value.slice(0, room) : value;
    chars += text.length;
    targets.push({ path, text, profile });
    if (text.length < value.length) stop(path, 'size');
  };

  const tree: Walk['tree'] = (path, value, mode, depth = 0, parentKey = '') => {
    if (full()) return stop(path || '(root)', chars >= maxChars ? 'size' : 'nodes');
    if (typeof value === 'string') {
      const profile: Profile = mode === 'result' ? 'result' : mode === 'schema' && ID_KEYS.has(parentKey) ? 'id' : mode === 'schema' && NAME_LIST_KEYS.has(parentKey) ? 'name' : 'text';
      return push(path, value, profile);
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= LIMITS.depth) return stop(path, 'depth');
    if (Array.isArray(value)) {
      const n = Math.min(value.length, LIMITS.nodes);
      for (let i = 0; i < n && !full(); i++) tree(join(path, String(i)), value[i], mode, depth + 1, parentKey);
      if (n < value.length) stop(path, 'nodes');
      return;
    }
    for (const key of Object.keys(value)) {
      if (full()) return stop(path || '(root)', chars >= maxChars ? 'size' : 'nodes');
      const child = join(path, key);
      if (mode === 'result' && skipResultKey(key, value as Record<string, unknown>)) continue;
      // Property names are model-visible too; a key is scanned once as text of its own.
      if (mode !== 'result' && !(KNOWN_KEYS.has(key) && parentKey !== 'properties')) push(`${child}#key`, key, mode === 'schema' ? 'key' : 'name');
      tree(child, (value as Record<string, unknown>)[key], mode, depth + 1, key);
    }
  };
  return { targets, truncated, push, tree };
}

/** Binary payloads and plumbing in results are not text the model reads as instructions. */
function skipResultKey(key: string, obj: Record<string, unknown>): boolean {
  if (key === 'blob' || key === '_meta' || key === 'mimeType') return true;
  return key === 'data' && (obj.type === 'image' || obj.type === 'audio');
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The model-visible strings of one listed item (what tools/list, prompts/list, resources/list hand a client). */
export function walkDefinition(kind: DefinitionKind, item: Record<string, unknown>): Walk {
  const w = createWalk();
  const nameProfile: Profile = kind === 'resource' || kind === 'resourceTemplate' ? 'text' : 'name';
  w.push('name', str(item.name), nameProfile);
  w.push('title', str(item.title), 'text');
  w.push('description', str(item.description), 'text');
  if (kind === 'tool') {
    if (obj(item.annotations)) w.tree('annotations', item.annotations, 'text');
    if (item.inputSchema !== undefined) w.tree('inputSchema', item.inputSchema, 'schema');
    if (item.outputSchema !== undefined) w.tree('outputSchema', item.outputSchema, 'schema');
  } else if (kind === 'prompt') {
    const args = Array.isArray(item.arguments) ? item.arguments.slice(0, 1000) : [];
    args.forEach((a, i) => {
      const arg = obj(a);
      if (!arg) return;
      w.push(`arguments.${i}.name`, str(arg.name), 'name');
      w.push(`arguments.${i}.title`, str(arg.title), 'text');
      w.push(`arguments.${i}.description`, str(arg.description), 'text');
    });
  } else {
    w.push(kind === 'resource' ? 'uri' : 'uriTemplate', str(kind === 'resource' ? item.uri : item.uriTemplate), 'id');
    w.push('mimeType', str(item.mimeType), 'id');
    if (obj(item.annotations)) w.tree('annotations', item.annotations, 'text');
  }
  return w;
}
