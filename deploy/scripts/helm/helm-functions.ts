// The Sprig and Helm functions the chart uses, with their Go behaviour; any other function name is an error in the executor.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { GoFunction } from './go-template-exec.js';
import { empty, goEqual, goLess, isMap, printValue, TemplateError, toInt64, truth, typeName, type GoMap, type GoValue } from './go-values.js';

function str(v: GoValue | undefined, what: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${what} must be a string, not ${typeName(v ?? null)}`);
  return v;
}

function arity(args: GoValue[], n: number, name: string): void {
  if (args.length !== n) throw new TemplateError(`${name} takes ${n} argument(s), got ${args.length}`);
}

/** Sprig's strval: strings as they are, everything else as %v prints it. */
const strval = (v: GoValue): string => (typeof v === 'string' ? v : printValue(v));

/** Go's %q for the strings a chart quotes (no control characters but \n, \t, \r). */
function goQuote(s: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) throw new TemplateError('quote: control characters are not supported');
  return JSON.stringify(s);
}

/** Helm's toYaml: sigs.k8s.io/yaml output (sorted keys, YAML 1.1 quoting of yes/no/on/off), trailing newline cut. */
export function toYaml(v: GoValue): string {
  if (v === null) return 'null';
  return stringify(v, { version: '1.1', sortMapEntries: true, lineWidth: 0, indentSeq: true }).replace(/\n$/, '');
}

/** fmt.Sprintf for %s, %d, %v, %q and %% only. */
function printf(format: string, args: GoValue[]): string {
  let i = 0;
  return format.replace(/%([%sdvq])|%./g, (m, verb: string | undefined) => {
    if (verb === '%') return '%';
    if (!verb) throw new TemplateError(`printf: verb ${m} is not supported`);
    if (i >= args.length) throw new TemplateError(`printf: missing argument for ${m}`);
    const a = args[i++]!;
    if (verb === 'd') {
      if (typeof a !== 'bigint' && !(typeof a === 'number' && Number.isInteger(a))) throw new TemplateError(`printf: %d of ${typeName(a)}`);
      return typeof a === 'number' ? String(a) : a.toString();
    }
    if (verb === 's' && typeof a !== 'string') throw new TemplateError(`printf: %s of ${typeName(a)} (use %v)`);
    return verb === 'q' ? goQuote(strval(a)) : strval(a);
  });
}

const int64 = (name: string, f: (xs: bigint[]) => bigint): GoFunction => (args) => {
  if (args.length === 0) throw new TemplateError(`${name} needs arguments`);
  return f(args.map(toInt64));
};

const compare = (f: (a: GoValue, b: GoValue) => boolean): GoFunction => (args) => {
  if (args.length !== 2) throw new TemplateError('comparison takes 2 arguments');
  return f(args[0]!, args[1]!);
};

export const helmFunctions: Record<string, GoFunction> = {
  include: (args, exec) => {
    arity(args, 2, 'include');
    return exec.include(str(args[0], 'include name'), args[1]!);
  },
  required: (args) => {
    arity(args, 2, 'required');
    const v = args[1]!;
    if (v === null || v === '') throw new TemplateError(str(args[0], 'required message'));
    return v;
  },
  fail: (args) => {
    throw new TemplateError(str(args[0], 'fail message'));
  },
  toYaml: (args) => (arity(args, 1, 'toYaml'), toYaml(args[0]!)),
  indent: (args) => {
    arity(args, 2, 'indent');
    const pad = ' '.repeat(Number(toInt64(args[0]!)));
    return pad + str(args[1], 'indent text').replaceAll('\n', `\n${pad}`);
  },
  nindent: (args) => {
    arity(args, 2, 'nindent');
    const pad = ' '.repeat(Number(toInt64(args[0]!)));
    return `\n${pad}${str(args[1], 'nindent text').replaceAll('\n', `\n${pad}`)}`;
  },
  quote: (args) => args.filter((a) => a !== null).map((a) => goQuote(strval(a))).join(' '),
  default: (args) => (args.length < 2 || empty(args[1]!) ? args[0]! : args[1]!),
  empty: (args) => (arity(args, 1, 'empty'), empty(args[0]!)),
  ternary: (args) => (arity(args, 3, 'ternary'), truth(args[2]!) ? args[0]! : args[1]!),
  printf: (args) => printf(str(args[0], 'printf format'), args.slice(1)),
  // fmt.Sprint: a space between operands when neither is a string.
  print: (args) => args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + strval(a)).join(''),
  toString: (args: GoValue[]) => (arity(args, 1, 'toString'), strval(args[0]!)),
  trunc: (args) => {
    arity(args, 2, 'trunc');
    const n = Number(toInt64(args[0]!));
    const s = str(args[1], 'trunc text');
    if (n < 0 && s.length + n > 0) return s.slice(s.length + n);
    return n >= 0 && s.length > n ? s.slice(0, n) : s;
  },
  trimSuffix: (args) => {
    arity(args, 2, 'trimSuffix');
    const [suffix, s] = [str(args[0], 'suffix'), str(args[1], 'text')];
    return suffix && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
  },
  replace: (args) => (arity(args, 3, 'replace'), str(args[2], 'text').replaceAll(str(args[0], 'old'), str(args[1], 'new'))),
  contains: (args) => (arity(args, 2, 'contains'), str(args[1], 'text').includes(str(args[0], 'substring'))),
  sha256sum: (args) => (arity(args, 1, 'sha256sum'), createHash('sha256').update(str(args[0], 'text')).digest('hex')),
  not: (args) => (arity(args, 1, 'not'), !truth(args[0]!)),
  eq: (args) => {
    if (args.length < 2) throw new TemplateError('eq takes at least 2 arguments');
    return args.slice(1).some((b) => goEqual(args[0]!, b));
  },
  ne: compare((a, b) => !goEqual(a, b)),
  lt: compare(goLess),
  le: compare((a, b) => goLess(a, b) || goEqual(a, b)),
  gt: compare((a, b) => goLess(b, a)),
  ge: compare((a, b) => goLess(b, a) || goEqual(a, b)),
  int: (args) => (arity(args, 1, 'int'), toInt64(args[0]!)),
  add: int64('add', (xs) => xs.reduce((a, b) => a + b, 0n)),
  mul: int64('mul', (xs) => xs.reduce((a, b) => a * b, 1n)),
  sub: (args) => (arity(args, 2, 'sub'), toInt64(args[0]!) - toInt64(args[1]!)),
  div: (args) => {
    arity(args, 2, 'div');
    const d = toInt64(args[1]!);
    if (d === 0n) throw new TemplateError('div: division by zero');
    return toInt64(args[0]!) / d;
  },
  dict: (args) => {
    if (args.length % 2) throw new TemplateError('dict needs key/value pairs');
    const m: GoMap = {};
    for (let i = 0; i < args.length; i += 2) m[strval(args[i]!)] = args[i + 1]!;
    return m;
  },
  hasKey: (args) => {
    arity(args, 2, 'hasKey');
    if (!isMap(args[0])) throw new TemplateError(`hasKey of ${typeName(args[0]!)}`);
    return Object.hasOwn(args[0], str(args[1], 'key'));
  },
  // Go's index: map keys and list positions; a missing map key gives nil.
  index: (args) => {
    if (args.length < 1) throw new TemplateError('index needs a collection');
    let cur: GoValue = args[0]!;
    for (const k of args.slice(1)) {
      if (isMap(cur)) cur = Object.hasOwn(cur, str(k, 'index key')) ? cur[k as string]! : null;
      else if (Array.isArray(cur) && typeof k === 'bigint' && k >= 0n && k < BigInt(cur.length)) cur = cur[Number(k)]!;
      else throw new TemplateError(`can't index ${typeName(cur)} with ${typeName(k)}`);
    }
    return cur;
  },
  // dig "a" "b" default map: map.a.b, or the default where a key is missing.
  dig: (args) => {
    if (args.length < 3) throw new TemplateError('dig takes keys, a default and a map');
    let cur: GoValue = args[args.length - 1]!;
    for (const k of args.slice(0, -2)) {
      if (!isMap(cur) || !Object.hasOwn(cur, str(k, 'dig key'))) return args[args.length - 2]!;
      cur = cur[k as string]!;
    }
    return cur;
  },
};
