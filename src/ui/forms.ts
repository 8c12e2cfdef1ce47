// Reading the console's form posts: text fields, and rules typed as JSON (the admin API validates what they say).

export type Form = Record<string, string | File | (string | File)[]>;

export function field(form: Form, name: string): string {
  const v = form[name];
  return typeof v === 'string' ? v.trim() : '';
}

export type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/** The rules textarea: a JSON object (empty means none). Only the syntax is checked here; the API checks the rules. */
export function parseRules(text: string): Parsed {
  if (!text.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `The rules are not valid JSON: ${(err as Error).message}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, message: 'The rules must be a JSON object, such as {"models": ["openai/*"]}.' };
  return { ok: true, value: v as Record<string, unknown> };
}

/** A policy as the textarea shows it. */
export const rulesText = (policy: unknown): string => JSON.stringify(policy ?? {}, null, 2);

/** Example rules for a new key or team: every field the API takes, at its permissive default. */
export const RULES_TEMPLATE = rulesText({ models: ['*'], tools: ['*'], mcpServers: ['*'], budgets: [], rateLimits: {}, pii: null });
