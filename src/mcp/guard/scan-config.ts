// The injection scan settings (mode, result scanning, allow list) and the pure decision they drive.
import { z } from 'zod';
import { mcpServerIdSchema } from '../upstream/server-id.js';
import { INJECTION_RULES, type Finding, type InjectionRule } from './injection-types.js';

const AllowEntrySchema = z
  .object({
    /** Upstream server id as in `mcpServers`. */
    server: mcpServerIdSchema,
    /** Upstream (unprefixed) name of the tool, prompt, resource or resource template; every item when left out. */
    tool: z.string().min(1).max(256).optional(),
    /** One rule; every rule when left out. */
    rule: z.enum(INJECTION_RULES).optional(),
  })
  .strict();

export const InjectionScanConfigSchema = z
  .object({
    /**
     * `off`: no scanning. `audit`: findings go to the audit trail and metrics, nothing changes for clients.
     * `block`: items with a medium or high finding are hidden from listings and their calls denied;
     * with `results`, a result with such a finding is replaced by an isError text naming the rule.
     */
    mode: z.enum(['off', 'audit', 'block']).default('audit'),
    /** Also scan tool results, prompt messages and resource contents before the model reads them. */
    results: z.boolean().default(false),
    /** Known-good exceptions: a finding matching an entry is dropped before the decision. */
    allow: z.array(AllowEntrySchema).max(1000).default([]),
  })
  .strict();

export type InjectionScanConfig = z.infer<typeof InjectionScanConfigSchema>;
export type InjectionAllowEntry = z.infer<typeof AllowEntrySchema>;

/** Mount as `InjectionScanConfigSchema.default(DEFAULT_INJECTION_SCAN)` (zod 4 `.default` does not parse). */
export const DEFAULT_INJECTION_SCAN: InjectionScanConfig = InjectionScanConfigSchema.parse({});

export type ScanAction = 'pass' | 'audit' | 'block';

export interface ScanDecision {
  action: ScanAction;
  /** Findings after the allow list: what the audit row and metrics record. */
  findings: Finding[];
  /** The findings that caused a block (medium and high); empty unless action is `block`. */
  blocking: Finding[];
}

function allowed(allow: readonly InjectionAllowEntry[], server: string, item: string, rule: InjectionRule): boolean {
  return allow.some((a) => a.server === server && (a.tool === undefined || a.tool === item) && (a.rule === undefined || a.rule === rule));
}

/**
 * What to do with one item's findings. Low findings (excessive_length, a truncated result scan) never block;
 * they are recorded in audit and block mode alike.
 */
export function decideScan(config: InjectionScanConfig, server: string, item: string, findings: readonly Finding[]): ScanDecision {
  if (config.mode === 'off') return { action: 'pass', findings: [], blocking: [] };
  const kept = findings.filter((f) => !allowed(config.allow, server, item, f.rule));
  const blocking = config.mode === 'block' ? kept.filter((f) => f.severity !== 'low') : [];
  const action: ScanAction = blocking.length > 0 ? 'block' : kept.length > 0 ? 'audit' : 'pass';
  return { action, findings: kept, blocking };
}

export function scansResults(config: InjectionScanConfig): boolean {
  return config.mode !== 'off' && config.results;
}

/** Rule names only, sorted and unique: what the model and the client may read about a block. */
export function ruleList(findings: readonly Finding[]): string {
  return [...new Set(findings.map((f) => f.rule))].sort().join(', ');
}

/**
 * The isError result that replaces a blocked tool result or answers a call to a blocked tool. It names the
 * rules and never echoes the excerpt: the excerpt is the attacker's text, and this goes to the model.
 */
export function blockedResult(kind: 'result' | 'call', findings: readonly Finding[]): { isError: true; content: Array<{ type: 'text'; text: string }> } {
  const rules = ruleList(findings);
  const text =
    kind === 'result'
      ? `The gateway withheld this result: it matched the prompt-injection rule(s) ${rules}.`
      : `The gateway blocked this tool: its definition matched the prompt-injection rule(s) ${rules}. An administrator can review it.`;
  return { isError: true, content: [{ type: 'text', text }] };
}
