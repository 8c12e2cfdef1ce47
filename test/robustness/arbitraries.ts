// fast-check arbitraries for hostile input: mutated JSON values, raw JSON text (deep nesting, duplicate keys), invalid UTF-8, header oddities.
import fc from 'fast-check';

/** JSON text spliced in verbatim: deep nesting and numbers JS cannot hold are built as text, never as objects. */
export class Raw {
  constructor(readonly text: string) {}
}

/** Bytes that are not UTF-8 (lone continuation, overlong NUL, CESU-8 surrogate, 0xFF), spliced into a string value. */
export const BAD_UTF8_TOKEN = '@@BAD_UTF8@@';
const BAD_UTF8 = Buffer.from([0xff, 0x80, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xfe]);

export type Json = null | boolean | number | string | Raw | Json[] | { [k: string]: Json };

/** Serialises with JSON.stringify for leaves (a lone surrogate becomes the `\ud800` escape text an attacker sends). */
export function toJson(v: Json | undefined): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The body as bytes, with every BAD_UTF8_TOKEN replaced by invalid UTF-8. */
export function toBytes(text: string): Buffer {
  const parts = text.split(BAD_UTF8_TOKEN);
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(BAD_UTF8);
    out.push(Buffer.from(p, 'utf8'));
  });
  return Buffer.concat(out);
}

/** `{"a":{"a":…1…}}` or `[[[…]]]`, n levels, as text. */
export function deepText(n: number, shape: 'object' | 'array' = 'object'): string {
  return shape === 'object' ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `${'['.repeat(n)}1${']'.repeat(n)}`;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x \ud800', '\udfff', '\ud800\ud800', 'a\u0000b', '\u0000', '\u001b[31mred', '\r\n\r\nHTTP/1.1 200 OK', '\u2028\u2029', '\ufeff', '模型', '🙂', '%00', '../../etc/passwd', '${jndi:ldap://x}', '<script>alert(1)</script>', 'bob@example.com', '4111 1111 1111 1111', '', ' ', 'null', 'NaN', 'Infinity', '-Infinity', '1e308', '0x10', '-1', '2147483648', '__proto__', 'constructor') },
  { weight: 3, arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, control, fc.constantFrom('a', '/', '"', '\\', 'é', '模')), maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((n) => `${'x'.repeat(n * 1024)}\ud800`) },
);

/** A few MB at most: big enough to hurt a quadratic path, small enough for CI. */
export const hugeString: fc.Arbitrary<string> = fc.integer({ min: 200_000, max: 2_000_000 }).chain((n) => fc.constantFrom('A'.repeat(n), '1 '.repeat(n >> 1), 'bob@example.com '.repeat(n >> 4), '\ud800'.repeat(n >> 3)));

export const hostileNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(2147483648, 4294967296, 1e308, -1e308, -1, 0, 1.5, -0.5, 9007199254740993, 5e-324),
  fc.constantFrom('1e400', '-1e400', '-0', '123456789012345678901234567890', '1E+999999').map((t) => new Raw(t)),
  fc.double(),
  fc.integer(),
);

export const deepValue: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 3_000, max: 10_000 }), fc.constantFrom<'object' | 'array'>('object', 'array'))
  .map(([n, shape]) => new Raw(deepText(n, shape)));

export const wrongType: fc.Arbitrary<Json> = fc.constantFrom<Json>(null, true, false, [], {}, [[]], { '': '' }, [null], new Raw('{"__proto__":{"polluted":true}}'));

/** Any hostile value, huge strings kept rare. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 3, arbitrary: wrongType },
  { weight: 2, arbitrary: deepValue },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constant(new Raw(`"bad ${BAD_UTF8_TOKEN} bytes"`)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 100_000 }).map((n) => new Raw(`[${'0,'.repeat(n)}0]`)) },
);

export type Path = Array<string | number>;

/** A mutation of a valid body; `kind` names it for the summary. */
export type Mutation =
  | { kind: 'set'; path: Path; value: Json }
  | { kind: 'delete'; path: Path }
  | { kind: 'duplicate-key'; key: string; value: Json }
  | { kind: 'raw-body'; body: string };

export const rawBody: fc.Arbitrary<string> = fc.constantFrom(
  '',
  '{',
  'null',
  '[]',
  '1',
  '"x"',
  '{"model":',
  `{"model":"mock/echo","messages":[{"role":"user","content":"${BAD_UTF8_TOKEN}"}]}`,
  BAD_UTF8_TOKEN,
  '\ufeff{}',
  deepText(10_000, 'array'),
  deepText(10_000),
  `{${'"k":1,'.repeat(50_000)}"k":2}`,
);

/** Mutations aimed at `paths` (known fields) plus unknown fields at the root and inside objects. */
export function mutation(paths: Path[]): fc.Arbitrary<Mutation> {
  const target = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.constantFrom(...paths).map((p) => [...p, 'extra']) },
    { weight: 1, arbitrary: fc.constant<Path>(['extra']) },
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), path: target, value: hostileValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate-key' as const), key: fc.constantFrom(...paths.filter((p) => p.length === 1).map((p) => String(p[0]))), value: hostileValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw-body' as const), body: rawBody }) },
  );
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Applies a mutation and returns the body as bytes (and a short description for failure reports). */
export function applyMutation(base: Record<string, Json>, m: Mutation): { bytes: Buffer; label: string } {
  if (m.kind === 'raw-body') return { bytes: toBytes(m.body), label: `raw-body ${m.body.slice(0, 40)}` };
  if (m.kind === 'duplicate-key') {
    const text = toJson(base);
    // A second copy of the key after the first: parsers disagree on which wins.
    const spliced = `{${JSON.stringify(m.key)}:${toJson(base[m.key] ?? null)},${JSON.stringify(m.key)}:${toJson(m.value)},${text.slice(1)}`;
    return { bytes: toBytes(spliced), label: `duplicate-key ${m.key}=${describe(m.value)}` };
  }
  const body = clone(base) as Json;
  let at: Json = body;
  for (const seg of m.path.slice(0, -1)) {
    const next: Json | undefined = (at as Record<string | number, Json>)[seg as never];
    if (next === null || typeof next !== 'object' || next instanceof Raw) {
      (at as Record<string | number, Json>)[seg as never] = {};
    }
    at = (at as Record<string | number, Json>)[seg as never]!;
  }
  const last = m.path.at(-1)!;
  if (m.kind === 'delete') delete (at as Record<string | number, Json>)[last as never];
  else (at as Record<string | number, Json>)[last as never] = m.value;
  return { bytes: toBytes(toJson(body)), label: `${m.kind} ${m.path.join('.')}${m.kind === 'set' ? `=${describe(m.value)}` : ''}` };
}

export function describe(v: Json): string {
  if (v instanceof Raw) return `raw(${v.text.length}b:${v.text.slice(0, 20)})`;
  if (typeof v === 'string') return v.length > 40 ? `string(${v.length})` : JSON.stringify(v);
  const s = toJson(v);
  return s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s;
}

/** Header sets that fetch accepts (ByteStrings without CR, LF or NUL) but a gateway must still judge. */
export function headerMutation(validKey: string): fc.Arbitrary<Record<string, string>> {
  const odd = fc.constantFrom('', ' ', 'a'.repeat(129), 'a'.repeat(8_000), 'ÿ', '\t', 'x y', 'ok-session', '../..', '%00', '"quoted"', 'bob@example.com');
  return fc.record(
    {
      'x-session-id': odd,
      'x-route-tag': odd,
      'content-type': fc.constantFrom('application/json', 'text/plain', '', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json, application/json'),
      authorization: fc.constantFrom(`Bearer ${validKey}`, 'Bearer', `Bearer  ${validKey}`, `bearer ${validKey}`, 'Basic dXNlcjpwYXNz', `Bearer ${'x'.repeat(8_000)}`, validKey, `Bearer ${validKey}, Bearer other`, 'Bearer ÿÿ'),
      'x-api-key': fc.constantFrom(validKey, 'wrong', ''),
      accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'application/json, text/event-stream', ''),
    },
    { requiredKeys: [] },
  );
}

/** A path segment already percent-encoded, hostile after decoding (invalid UTF-8, NUL, traversal, very long). */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('%ED%A0%80', '%00', '%FF', '%', '%zz', '..', '%2e%2e', '%2F', 'a'.repeat(5_000), encodeURIComponent('模型'), 'bob%40example.com', 'k1', '-'),
  fc.string({ maxLength: 30 }).map((s) => {
    try {
      return encodeURIComponent(s) || 'x';
    } catch {
      return '%FF';
    }
  }),
);
