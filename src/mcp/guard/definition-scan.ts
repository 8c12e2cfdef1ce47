// The injection scan applied to what upstreams list and return: once per fetched list, findings logged and counted, blocks enforced.
import type { Logger } from '../../log.js';
import type { Metrics } from '../../tracing/metrics.js';
import type { ListKind } from '../upstream/lists.js';
import type { JsonObject } from '../upstream/rpc.js';
import { scanDefinition, scanResult, type DefinitionKind, type Finding } from './injection-scan.js';
import type { DefinitionScan } from './pin-judge.js';
import { decideScan, ruleList, scansResults, type InjectionScanConfig, type ScanDecision } from './scan-config.js';
import type { ToolDefinition } from './tool-definition.js';

export const SCAN_RULE = 'injection_scan';

const KIND: Record<ListKind, DefinitionKind> = { tools: 'tool', prompts: 'prompt', resources: 'resource', resourceTemplates: 'resourceTemplate' };
const FIELD: Record<ListKind, 'name' | 'uri' | 'uriTemplate'> = { tools: 'name', prompts: 'name', resources: 'uri', resourceTemplates: 'uriTemplate' };

/** What a call or a read may do after the scan: go ahead, go ahead flagged (findings in the trail), or not at all. */
export type ScanCheck = { verdict: 'ok' } | { verdict: 'blocked' | 'flagged'; reason: string };

export interface DefinitionScanner {
  /** The items of one fetched list a client may see: in block mode those with a blocking finding are left out. */
  visible(serverId: string, kind: ListKind, items: JsonObject[]): JsonObject[];
  /** The verdict for the item a call names, from the same scan of the same list. */
  check(serverId: string, kind: ListKind, items: JsonObject[], name: string): ScanCheck;
  /** Tool pinning's hook: a blocking finding makes a first sight or a change wait for an admin's approval. */
  pinHook: DefinitionScan;
  /** A result's verdict when results are scanned (null when they are not); block replaces it, audit flags the call. */
  result(serverId: string, item: string, result: JsonObject): ScanDecision | null;
}

export interface DefinitionScannerOptions {
  /** Read per list, so a config reload applies. */
  settings(): InjectionScanConfig;
  /** Whether tool pinning is on: then it holds flagged tools back for review (an approval overrides the scan), not this. */
  pinning(): boolean;
  log: Logger;
  metrics: Pick<Metrics, 'injectionFindings'>;
}

interface Memo {
  settings: InjectionScanConfig;
  decisions: Map<string, ScanDecision>;
}

const OK: ScanCheck = { verdict: 'ok' };

export function createDefinitionScanner(o: DefinitionScannerOptions): DefinitionScanner {
  const memos = new WeakMap<JsonObject[], Memo>();
  /** Tool names seen per server: the cross-tool rule's context (names of other servers' tools). */
  const toolNames = new Map<string, string[]>();

  function others(serverId: string): string[] {
    return [...toolNames].flatMap(([sid, names]) => (sid === serverId ? [] : names.flatMap((n) => [n, `${sid}__${n}`])));
  }

  function record(serverId: string, kind: string, item: string, d: ScanDecision): void {
    if (d.findings.length === 0) return;
    for (const f of d.findings) o.metrics.injectionFindings(serverId, kind, f.rule, f.severity);
    const findings = d.findings.map((f: Finding) => ({ rule: f.rule, severity: f.severity, path: f.path, excerpt: f.excerpt }));
    o.log.warn({ mcpServer: serverId, kind, item, action: d.action, findings }, 'mcp: injection scan findings');
  }

  function decisions(serverId: string, kind: ListKind, items: JsonObject[]): Map<string, ScanDecision> {
    const settings = o.settings();
    const memo = memos.get(items);
    if (memo && memo.settings === settings) return memo.decisions;
    if (kind === 'tools') toolNames.set(serverId, items.map((t) => String(t.name)));
    const out = new Map<string, ScanDecision>();
    if (settings.mode !== 'off') {
      const context = { otherToolNames: others(serverId) };
      for (const item of items) {
        const name = String(item[FIELD[kind]] ?? '');
        const d = decideScan(settings, serverId, name, scanDefinition(KIND[kind], item, context));
        if (d.findings.length === 0) continue;
        out.set(name, d);
        record(serverId, KIND[kind], name, d);
      }
    }
    memos.set(items, { settings, decisions: out });
    return out;
  }

  /** Tools under pinning are held back by the pins (an admin's approval overrides the scan there). */
  const enforcedHere = (kind: ListKind) => kind !== 'tools' || !o.pinning();

  return {
    visible(serverId, kind, items) {
      const ds = decisions(serverId, kind, items);
      if (ds.size === 0 || !enforcedHere(kind)) return items;
      const out = items.filter((it) => ds.get(String(it[FIELD[kind]] ?? ''))?.action !== 'block');
      return out.length === items.length ? items : out;
    },
    check(serverId, kind, items, name) {
      const d = decisions(serverId, kind, items).get(name);
      if (!d || d.action === 'pass') return OK;
      const reason = `the ${KIND[kind]} "${name}" of MCP server "${serverId}" matched the prompt-injection rule(s) ${ruleList(d.action === 'block' ? d.blocking : d.findings)}`;
      return { verdict: d.action === 'block' && enforcedHere(kind) ? 'blocked' : 'flagged', reason };
    },
    pinHook(serverId, def: ToolDefinition) {
      const settings = o.settings();
      const d = decideScan(settings, serverId, String(def.name), scanDefinition('tool', def, { otherToolNames: others(serverId) }));
      return d.action === 'block' ? { reason: `prompt-injection rule(s) ${ruleList(d.blocking)}` } : null;
    },
    result(serverId, item, result) {
      const settings = o.settings();
      if (!scansResults(settings)) return null;
      const d = decideScan(settings, serverId, item, scanResult(result));
      record(serverId, 'result', item, d);
      return d;
    },
  };
}
