// Opt-in tool-result caching: only for tools a cache rule names and the upstream annotates read-only or idempotent.
import type { CacheConfig } from '../cache/config-schema.js';
import { exactKey, scopeOf } from '../cache/request-key.js';
import type { Deps } from '../deps.js';
import type { JsonObject } from '../mcp/upstream/rpc.js';
import type { PolicyContext } from '../policy/engine.js';
import { compilePatterns } from '../policy/patterns.js';
import { piiModeOf } from '../policy/steps/pii.js';
import type { CacheMark } from '../tracing/call-record.js';
import type { McpOperation } from './mcp-operation.js';

export interface ToolCache {
  key: string;
  ttlMs: number;
  mark: CacheMark;
  /** The stored result, on a hit. */
  hit: JsonObject | null;
}

type Rule = { server: (s: string) => boolean; tool: (t: string) => boolean; ttlMs: number };
const compiled = new WeakMap<CacheConfig, Rule[]>();

function ruleFor(config: CacheConfig, server: string, tool: string): Rule | undefined {
  let rules = compiled.get(config);
  if (!rules) compiled.set(config, (rules = config.tools.map((r) => ({ server: compilePatterns([r.server]), tool: compilePatterns([r.tool]), ttlMs: r.ttlMs }))));
  return rules.find((r) => r.server(server) && r.tool(tool));
}

/** Whether the upstream declares the tool safe to answer from memory (its listing, cached by the hub). */
async function cacheable(deps: Deps, op: McpOperation): Promise<boolean> {
  try {
    const def = (await deps.hub.list(op.serverId, 'tools')).find((t) => t.name === op.target);
    const a = def?.annotations as { readOnlyHint?: unknown; idempotentHint?: unknown } | undefined;
    return a?.readOnlyHint === true || a?.idempotentHint === true;
  } catch {
    return false;
  }
}

/** The call's cache plan and a stored result; null when no rule applies (no mark in the trails). */
export async function lookupTool(deps: Deps, op: McpOperation, pctx: PolicyContext): Promise<ToolCache | null> {
  if (op.method !== 'tools/call') return null;
  const config = deps.runtime.config;
  const rule = ruleFor(config.cache, op.serverId, op.target);
  if (!rule || !(await cacheable(deps, op))) return null;
  const scope = scopeOf(pctx.principal, config.cache.scope, piiModeOf(pctx, config.policy.pii));
  const key = exactKey({ door: 'tool', routed: `${op.serverId}/${op.target}`, stream: false, scope, body: op.params.arguments ?? {} });
  const text = await deps.cache.store.get(key);
  if (text) {
    try {
      return { key, ttlMs: rule.ttlMs, mark: { status: 'hit', kind: 'exact' }, hit: JSON.parse(text) as JsonObject };
    } catch {
      // an unreadable entry is a miss
    }
  }
  return { key, ttlMs: rule.ttlMs, mark: { status: 'miss' }, hit: null };
}

/** Stores a successful result (after output redaction) off the response path; an error result is never stored. */
export function saveTool(deps: Deps, tc: ToolCache, result: JsonObject): void {
  if (result.isError === true) return;
  const text = JSON.stringify(result);
  if (Buffer.byteLength(text) > deps.runtime.config.cache.maxEntryBytes) return;
  void deps.cache.store.set(tc.key, text, tc.ttlMs);
}
