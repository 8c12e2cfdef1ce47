// What changed between two stored tool definitions, path by path, for a reviewer deciding whether to approve.

export interface DefinitionChange {
  /** JSON Pointer (RFC 6901) of a value that differs, e.g. `/description` or `/inputSchema/properties/path/description`. */
  path: string;
  /** Absent when the path was added. */
  before?: unknown;
  /** Absent when the path was removed. */
  after?: unknown;
}

/** More changes than this are summed up by one `/…` entry: a reviewer reads the definitions themselves then. */
export const MAX_CHANGES = 200;

const escape = (k: string): string => k.replaceAll('~', '~0').replaceAll('/', '~1');
const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;

/** Leaves (and empty containers) by pointer, depth-first, without recursion. */
function leaves(value: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const stack: Array<[string, unknown]> = [['', value]];
  while (stack.length) {
    const [path, v] = stack.pop()!;
    const entries = isContainer(v) ? (Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v)) : null;
    if (!entries || entries.length === 0) {
      out.set(path, v);
      continue;
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push([`${path}/${escape(entries[i]![0])}`, entries[i]![1]]);
  }
  return out;
}

/** Changed, added and removed leaves of `after` against `before` (either may be null: nothing approved yet). */
export function definitionDiff(before: unknown, after: unknown): DefinitionChange[] {
  const a = before === null || before === undefined ? new Map<string, unknown>() : leaves(before);
  const b = after === null || after === undefined ? new Map<string, unknown>() : leaves(after);
  const out: DefinitionChange[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const path of paths) {
    const inA = a.has(path);
    const inB = b.has(path);
    if (inA && inB && JSON.stringify(a.get(path)) === JSON.stringify(b.get(path))) continue;
    if (out.length === MAX_CHANGES) {
      out.push({ path: '/…', after: `${paths.length} paths compared; more changes than ${MAX_CHANGES}` });
      break;
    }
    out.push({ path: path || '/', ...(inA ? { before: a.get(path) } : {}), ...(inB ? { after: b.get(path) } : {}) });
  }
  return out;
}
