// The vocabulary of the injection scanner: rule names, severities and the Finding shape shared by its files.

/** Stable rule names: they appear in audit rows, metrics labels and `allow` entries, so never rename one. */
export const INJECTION_RULES = [
  'hidden_unicode',
  'model_instruction',
  'sensitive_path',
  'exfiltration_url',
  'cross_tool_reference',
  'excessive_length',
  'scan_truncated',
] as const;
export type InjectionRule = (typeof INJECTION_RULES)[number];

/** high: strong evidence of an attack; medium: likely one; low: hygiene, never blocks. */
export type Severity = 'low' | 'medium' | 'high';

export interface Finding {
  rule: InjectionRule;
  /** JSON path of the string, e.g. `inputSchema.properties.path.description`; a key itself ends in `#key`. */
  path: string;
  /** Bounded, printable excerpt: hidden characters shown as `<U+200B>`, tag-character payloads decoded as `<TAG:…>`. */
  excerpt: string;
  severity: Severity;
  /** Which pattern of the rule matched (e.g. `override`, `tag`, `collector`): for tuning, stable like the rule. */
  signal: string;
}

export type DefinitionKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate';

export interface ScanContext {
  /** Tool names of the *other* servers a client sees (raw and client-visible forms); enables cross_tool_reference. */
  otherToolNames?: readonly string[];
}

/**
 * Which rules read a string: `text` (descriptions, titles, schema values) gets all of them; `key` (schema
 * property names) and `name`/`id` (tool names, URIs, MIME types) only the ones that make sense there;
 * `result` is tool-result text, where ordinary web pages and files must not trip definition-only rules.
 */
export type Profile = 'text' | 'key' | 'name' | 'id' | 'result';

/** A rule's raw hit inside one string, before it becomes a Finding with a path. */
export interface Hit {
  rule: InjectionRule;
  severity: Severity;
  signal: string;
  excerpt: string;
}

/** Severities in order, for picking the strongest. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2 };

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
