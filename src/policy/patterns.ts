// Glob-style allow-lists (`openai/*`, `github__*`, `fs__read_*`) compiled once into one matcher.

export interface Matcher {
  (name: string): boolean;
  /** True when the list allows everything (`*`), so callers can skip per-item filtering. */
  readonly all: boolean;
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** `*` matches any run of characters, `?` one character; anything else is literal. */
export function compilePatterns(patterns: readonly string[]): Matcher {
  if (patterns.includes('*')) return Object.assign(() => true, { all: true });
  if (patterns.length === 0) return Object.assign(() => false, { all: false });
  const re = new RegExp(`^(?:${patterns.map((p) => escape(p).replace(/\*/g, '.*').replace(/\?/g, '.')).join('|')})$`);
  return Object.assign((name: string) => re.test(name), { all: false });
}
