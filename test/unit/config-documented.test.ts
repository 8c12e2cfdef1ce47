// Fails when the config schema has a field gateway.example.yaml does not document (as a key or a `# key:` line in its block).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GatewayConfigSchema } from '../../src/config.js';

// ── the schema side: every field path, through wrappers, records, arrays and discriminated unions ──

/** `<id>` stands for any key of a record, `[]` for any item of an array, `option` for the variants of a discriminated union. */
type Seg = { key: string } | { record: true } | { array: true } | { option: { discriminator: string; values: string[] } };

interface Def {
  type: string;
  innerType?: z.ZodType;
  getter?: () => z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
}
const defOf = (s: z.ZodType): Def => s.def as unknown as Def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

function format(segs: Seg[]): string {
  return segs
    .map((s) => ('key' in s ? `.${s.key}` : 'record' in s ? '.<id>' : 'array' in s ? '[]' : `{${s.option.discriminator}=${s.option.values.join('|')}}`))
    .join('')
    .replace(/^\./, '');
}

function unique(paths: Seg[][]): Seg[][] {
  const seen = new Map<string, Seg[]>();
  for (const p of paths) if (!seen.has(format(p))) seen.set(format(p), p);
  return [...seen.values()];
}

/** The schema's object, under its wrappers (the variants of a union are objects behind `.strict()` and the like). */
function objectOf(schema: z.ZodType): Def {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return objectOf(def.innerType!);
  if (def.type === 'pipe') return defOf(def.in!).type === 'transform' ? objectOf(def.out!) : objectOf(def.in!);
  return def;
}

function discriminatorValues(option: z.ZodType, discriminator: string): string[] {
  const field = objectOf(objectOf(option).shape![discriminator]!);
  return (field.values ?? Object.values(field.entries ?? {})).map(String);
}

function fieldPaths(schema: z.ZodType, at: Seg[] = []): Seg[][] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return fieldPaths(def.innerType!, at);
  switch (def.type) {
    case 'lazy':
      return fieldPaths(def.getter!(), at);
    case 'pipe': // .transform() and z.preprocess(): one side is the transform, which has no fields
      return unique([...fieldPaths(def.in!, at), ...fieldPaths(def.out!, at)]);
    case 'object':
      return Object.entries(def.shape!).flatMap(([key, field]) => [[...at, { key }], ...fieldPaths(field, [...at, { key }])]);
    case 'record':
      return fieldPaths(def.valueType!, [...at, { record: true }]);
    case 'array':
      return fieldPaths(def.element!, [...at, { array: true }]);
    case 'union':
      return def.discriminator === undefined
        ? unique(def.options!.flatMap((o) => fieldPaths(o, at)))
        : variantPaths(def.options!, def.discriminator, at);
    default:
      return [];
  }
}

/** A field every variant has is documented anywhere; one only some variants have, in an entry of such a variant. */
function variantPaths(options: z.ZodType[], discriminator: string, at: Seg[]): Seg[][] {
  const variants = options.map((o) => ({ values: discriminatorValues(o, discriminator), paths: fieldPaths(o) }));
  const byPath = new Map<string, { path: Seg[]; values: string[]; count: number }>();
  for (const v of variants) {
    for (const path of v.paths) {
      const entry = byPath.get(format(path)) ?? { path, values: [], count: 0 };
      entry.values.push(...v.values);
      entry.count++;
      byPath.set(format(path), entry);
    }
  }
  // Each variant must appear at least once, e.g. one provider entry per `kind`.
  const out: Seg[][] = variants.map((v) => [...at, { option: { discriminator, values: v.values } }]);
  for (const { path, values, count } of byPath.values()) {
    out.push(count === variants.length ? [...at, ...path] : [...at, { option: { discriminator, values } }, ...path]);
  }
  return out;
}

// ── the example side: an outline of the YAML text in which `# key: value` lines count as keys ──

interface Node {
  key: string;
  value?: string;
  children: Node[];
}

const unquote = (s: string): string => s.trim().replace(/^(["'])(.*)\1$/, '$2');
const stripComment = (s: string): string => s.replace(/\s+#.*$/, '').trim();

/** Reads a one-line flow collection (`{ a: 1, b: [x, { c: 2 }] }`); the keys of a sequence's maps go to the sequence's owner. */
function parseFlow(text: string, owner: Node): void {
  let i = 0;
  const scalar = (): string => {
    const start = i;
    while (i < text.length && !',}]'.includes(text[i]!)) {
      const c = text[i]!;
      const close = c === '"' || c === "'" ? c : c === '$' && text[i + 1] === '{' ? '}' : undefined;
      const end = close === undefined ? i : text.indexOf(close, i + 1);
      i = end < 0 ? text.length : end + 1;
    }
    return text.slice(start, i).trim();
  };
  const collection = (node: Node): void => {
    const close = text[i] === '{' ? '}' : ']';
    i++;
    while (i < text.length) {
      while (text[i] === ' ' || text[i] === ',') i++;
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] === '{' || text[i] === '[') {
        collection(node);
        continue;
      }
      const key = close === '}' ? /("[^"]*"|'[^']*'|[^\s:,{}[\]"']+)\s*:(?=\s|$)\s*/y : undefined;
      if (key) key.lastIndex = i;
      const m = key?.exec(text);
      if (!m) {
        scalar();
        if (i < text.length && text[i] !== close && text[i] !== ',') i++;
        continue;
      }
      i = key!.lastIndex;
      const child: Node = { key: unquote(m[1]!), children: [] };
      node.children.push(child);
      if (text[i] === '{' || text[i] === '[') collection(child);
      else child.value = unquote(scalar());
    }
  };
  collection(owner);
}

function outline(source: string): Node {
  const root: Node = { key: '', children: [] };
  const stack: { indent: number; node: Node }[] = [{ indent: -1, node: root }];
  for (const raw of source.split('\n')) {
    // A comment's text is read as if the `# ` were not there: `  #   x: 1` is a key one level under `  # y:`.
    const comment = /^(\s*)# ?(.*)$/.exec(raw);
    let line = comment ? ' '.repeat(comment[1]!.length) + comment[2]! : raw;
    let indent = line.length - line.trimStart().length;
    line = line.trimStart();
    while (line.startsWith('- ')) {
      indent += 2 + (line.length - 2 - line.slice(2).trimStart().length);
      line = line.slice(2).trimStart();
    }
    const key = /^("[^"]*"|'[^']*'|[A-Za-z_][\w./-]*)\s*:(?:\s+(.*))?$/.exec(line);
    const flow = line.startsWith('{') || line.startsWith('[');
    if (!key && !flow) continue; // prose comments and scalar items leave the structure alone
    while (stack.at(-1)!.indent >= indent) stack.pop();
    const parent = stack.at(-1)!.node;
    if (!key) {
      parseFlow(line, parent);
      continue;
    }
    const node: Node = { key: unquote(key[1]!), children: [] };
    parent.children.push(node);
    const rest = stripComment(key[2] ?? '');
    if (rest.startsWith('{') || rest.startsWith('[')) parseFlow(rest, node);
    else if (rest) node.value = unquote(rest);
    stack.push({ indent, node });
  }
  return root;
}

/** The outline nodes a path leads to; empty when the example does not document it. */
function resolvePath(root: Node, segs: Seg[]): Node[] {
  let nodes = [root];
  for (const s of segs) {
    if ('key' in s) nodes = nodes.flatMap((n) => n.children.filter((c) => c.key === s.key));
    else if ('record' in s) nodes = nodes.flatMap((n) => n.children);
    else if ('option' in s) {
      const { discriminator, values } = s.option;
      nodes = nodes.filter((n) => n.children.some((c) => c.key === discriminator && values.includes(c.value ?? '')));
    }
  }
  return nodes;
}

function undocumented(schema: z.ZodType, yamlText: string): string[] {
  const root = outline(yamlText);
  return fieldPaths(schema)
    .filter((p) => resolvePath(root, p).length === 0)
    .map(format);
}

/** The key paths of a parsed YAML value (sequences are transparent, as in the outline). */
function realKeyPaths(value: unknown, at: Seg[] = []): Seg[][] {
  if (Array.isArray(value)) return value.flatMap((v) => realKeyPaths(v, at));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => [[...at, { key }], ...realKeyPaths(v, [...at, { key }])]);
}

// ── the tests ──

const EXAMPLE = readFileSync(new URL('../../gateway.example.yaml', import.meta.url), 'utf8');

describe('gateway.example.yaml documents the config schema', () => {
  it('mentions every field of the schema in its block (gateway.example.yaml itself is loaded in config.test.ts)', () => {
    const missing = undocumented(GatewayConfigSchema, EXAMPLE);
    expect(missing, `add these to gateway.example.yaml (a commented "# key: default  # what it does" line is enough):\n${missing.join('\n')}`).toEqual([]);
  });

  it('walks the whole schema: nested blocks, records, arrays and every variant', () => {
    const paths = fieldPaths(GatewayConfigSchema).map(format);
    for (const p of [
      'audit.failClosed',
      'requestLog.spoolDir',
      'telemetry.tracing.batch.maxQueueSize',
      'telemetry.metrics.enabled',
      'mcpServers.<id>.timeouts.callMs',
      'mcpServers.<id>{type=stdio}.command',
      'mcpServers.<id>{type=http|sse}.url',
      'providers.<id>.baseUrl',
      'providers.<id>{kind=azure-openai}.deployments',
      'providers.<id>{kind=mock}',
      'models.<id>.rules[].when.tag',
      'keys[].budgets[].per',
      'teams.<id>.rateLimits.toolCallsPerMinute',
      'virtualServers.<id>.prompts',
      'policy.redisFailure.rateLimits',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('reads the example the way a YAML parser does: every real key sits at its real path in the outline', () => {
    const root = outline(EXAMPLE);
    const lost = realKeyPaths(parseYaml(EXAMPLE))
      .filter((p) => resolvePath(root, p).length === 0)
      .map(format);
    expect(lost).toEqual([]);
  });

  it('counts a key only under its own block, and an option-specific key only in an entry of that option', () => {
    const schema = z
      .object({
        a: z.object({ b: z.number(), c: z.number().optional() }).strict(),
        d: z.record(
          z.string(),
          z.discriminatedUnion('kind', [
            z.object({ kind: z.literal('x'), shared: z.number(), onlyX: z.string().optional() }),
            z.object({ kind: z.literal('y'), shared: z.number().default(1) }),
          ]),
        ),
        list: z.array(z.object({ id: z.string(), when: z.object({ tag: z.string() }).optional() })).default([]),
      })
      .strict();
    const bare = 'a:\n  b: 1\nc: 2\nd:\n  one: { kind: y, shared: 1, onlyX: q }\nlist:\n  - id: x\n    tag: t\n';
    expect(undocumented(schema, bare)).toEqual(['a.c', 'd.<id>{kind=x}', 'd.<id>{kind=x}.onlyX', 'list[].when', 'list[].when.tag']);
    const documented = [
      'a:',
      '  b: 1      # what b does',
      '  # c: 3    # optional, off by default',
      '# Prose: a comment line in between does not end the block.',
      'd:',
      '  one: { kind: y, shared: 1 }',
      '  # two:',
      '  #   kind: x',
      '  #   onlyX: q',
      'list:',
      '  - id: x',
      '    when: { tag: t }',
    ].join('\n');
    expect(undocumented(schema, documented)).toEqual([]);
  });
});
