// The mock provider's tool-call arguments: values that satisfy the tool's JSON Schema, so a mock agent run can call real tools.
type Schema = Record<string, unknown>;

/** Deeper schemas are cut (a recursive $ref would never end); the value there is left out. */
const MAX_DEPTH = 8;
/** The user's text goes into free string fields, bounded so a long prompt does not become a long argument. */
const MAX_TEXT = 1_000;

const FORMATS: Record<string, string> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  'uri-reference': 'https://example.com',
  uuid: '00000000-0000-4000-8000-000000000000',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
};

const isSchema = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function resolve(s: Schema, root: Schema): Schema {
  const ref = s.$ref;
  if (typeof ref !== 'string') return s;
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const target = m ? (root[m[1]!] as Schema | undefined)?.[decodeURIComponent(m[2]!)] : ref === '#' ? root : undefined;
  return isSchema(target) ? target : {};
}

function typeOf(s: Schema): string | undefined {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') ?? t[0]) as string | undefined;
  if (isSchema(s.properties)) return 'object';
  if (s.items !== undefined) return 'array';
  return undefined;
}

function stringValue(s: Schema, text: string): string {
  let v = (typeof s.format === 'string' && FORMATS[s.format]) || text.slice(0, MAX_TEXT) || 'example';
  const max = num(s.maxLength);
  const min = num(s.minLength) ?? 0;
  if (max !== undefined) v = v.slice(0, max);
  return v.length < min ? v.padEnd(min, 'x') : v;
}

function numberValue(s: Schema, integer: boolean): number {
  const exMin = num(s.exclusiveMinimum);
  let v = num(s.minimum) ?? (exMin !== undefined ? exMin + 1 : 1);
  const max = num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? num(s.exclusiveMaximum)! - 1 : undefined);
  if (max !== undefined && v > max) v = max;
  return integer ? Math.ceil(v) : v;
}

function objectValue(s: Schema, root: Schema, text: string, depth: number): Record<string, unknown> {
  const props = isSchema(s.properties) ? s.properties : {};
  const out: Record<string, unknown> = {};
  for (const key of Array.isArray(s.required) ? s.required : []) {
    if (typeof key !== 'string') continue;
    const p = props[key];
    const v = valueFor(isSchema(p) ? p : {}, root, text, depth + 1);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** A value the schema accepts: const, enum's first value, default, else a typed placeholder (required properties only). */
export function valueFor(schema: Schema, root: Schema, text: string, depth = 0): unknown {
  if (depth > MAX_DEPTH) return undefined;
  const s = resolve(schema, root);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if ('default' in s) return s.default;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = Array.isArray(s[k]) ? (s[k] as unknown[]).filter(isSchema) : [];
    const pick = options.find((o) => typeOf(resolve(o, root)) !== 'null') ?? options[0];
    if (pick && typeOf(s) === undefined) return valueFor(pick, root, text, depth + 1);
  }
  switch (typeOf(s)) {
    case 'string':
      return stringValue(s, text);
    case 'integer':
      return numberValue(s, true);
    case 'number':
      return numberValue(s, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const max = num(s.maxItems);
      const n = Math.min(Math.max(num(s.minItems) ?? 0, 1), max ?? Infinity);
      const prefix = Array.isArray(s.prefixItems) ? s.prefixItems.filter(isSchema) : [];
      const items = isSchema(s.items) ? s.items : {};
      return Array.from({ length: n }, (_, i) => valueFor(prefix[i] ?? items, root, text, depth + 1)).filter((v) => v !== undefined);
    }
    case 'object':
      return objectValue(s, root, text, depth);
    default:
      return text.slice(0, MAX_TEXT) || 'example';
  }
}

/**
 * Arguments for a tool call: every required property filled (nested objects and arrays too). A schema that requires
 * nothing gets the user's text in its first string property (else as `input`, where extra properties are allowed),
 * so the echo stays visible in the call and a tool like `echo(text?)` has something to say.
 */
export function mockArguments(parameters: Schema | undefined, text: string): Record<string, unknown> {
  const root = parameters ?? {};
  const s = resolve(root, root);
  const args = objectValue(s, root, text, 0);
  if (Object.keys(args).length) return args;
  const props = isSchema(s.properties) ? s.properties : {};
  const first = Object.entries(props).find(([, p]) => isSchema(p) && typeOf(resolve(p, root)) === 'string');
  if (first) args[first[0]] = stringValue(resolve(first[1] as Schema, root), text);
  else if (s.additionalProperties !== false && !('input' in props)) args.input = text;
  return args;
}
