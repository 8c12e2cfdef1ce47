// Go text/template value semantics for the Helm renderer: the value model, truth, printing, comparison and int64 conversion.

/**
 * Helm reads values through JSON, so every number from YAML is a float64 (`number` here); functions
 * such as `int`, `add` and `div` and integer literals in templates give int64 (`bigint` here).
 */
export type GoValue = null | boolean | string | number | bigint | GoValue[] | GoMap;
export interface GoMap {
  [key: string]: GoValue;
}

/** Marks Helm's structs (.Release, .Chart, .Template): a field they lack is an error, as in Go, not nil as in a map. */
export const STRUCT = Symbol('go-struct');

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export const isMap = (v: unknown): v is GoMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export function typeName(v: GoValue | undefined): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
}

/** text/template's truth: false, 0, nil and empty strings, lists and maps are false. */
export function truth(v: GoValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return (v as Record<symbol, unknown>)[STRUCT] === true || Object.keys(v).length > 0;
}

/** Go's %v of a float64 (strconv 'g', shortest): the exponent form from 1e+06 up, Helm's well-known surprise. */
export function formatFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  // Go's shortest %g switches to the exponent form below 1e-4 and from 1e6 (eprec = 6).
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** What `{{ value }}` prints. Helm turns `<no value>` into "", so nil prints nothing. */
export function printValue(v: GoValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return formatFloat(v);
  throw new TemplateError(`printing a ${typeName(v)} gives Go syntax, not YAML: use toYaml`);
}

/** cast.ToInt64 as Sprig uses it: floats truncate, numeric strings parse, anything else is 0. */
export function toInt64(v: GoValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') return /^[+-]?\d+$/.test(v.trim()) ? BigInt(v.trim()) : 0n;
  return 0n;
}

type Kind = 'nil' | 'bool' | 'int' | 'float' | 'string' | 'other';
function kind(v: GoValue): Kind {
  if (v === null) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

/** text/template's eq: nil equals only nil; an int64 and a float64 are incompatible, as in Go. */
export function goEqual(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb) {
    if (ka === 'nil' || kb === 'nil') return false;
    throw new TemplateError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  if (ka === 'other') throw new TemplateError(`non-comparable type ${typeName(a)}`);
  return a === b;
}

/** text/template's lt: only ints, floats and strings, each with its own kind. */
export function goLess(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb || !(ka === 'int' || ka === 'float' || ka === 'string')) {
    throw new TemplateError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  return (a as number | bigint | string) < (b as number | bigint | string);
}

/** Sprig's empty: nil, false, 0, "" and empty lists and maps. */
export const empty = (v: GoValue): boolean => !truth(v);
