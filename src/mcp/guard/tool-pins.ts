// The tool pinning guard: judges each fetched tools list against the pins once, records first sights and drift, answers listings and calls.
import type { Logger } from '../../log.js';
import { dbErrorReason } from '../../storage/db-error.js';
import type { ToolPinRow } from '../../storage/schema.js';
import type { ToolPinsRepo } from '../../storage/tool-pins-repo.js';
import type { Metrics } from '../../tracing/metrics.js';
import type { ToolPinningSettings } from '../upstream/config-schema.js';
import type { Hub } from '../upstream/hub.js';
import type { JsonObject } from '../upstream/rpc.js';
import { judge, type DefinitionScan, type SeenTool } from './pin-judge.js';
import { applyActions, type PinWrite } from './pin-writes.js';
import { definitionHash, toolDefinition } from './tool-definition.js';

/** Redis channel of pin changes (a server id per message): every replica re-reads that server's pins. */
export const TOOL_PINS_CHANNEL = 'gateway:tool-pins:changed';

/** What a tools/call of one tool may do: go ahead, go ahead flagged (audit mode), or not at all (enforce mode). */
export type CallCheck = { verdict: 'ok' } | { verdict: 'held' | 'flagged'; reason: string };

export interface ToolGuard {
  /** The tools of a server's list a client may see (the list itself when nothing is held back). */
  usable(serverId: string, tools: JsonObject[]): Promise<JsonObject[]>;
  /** The call path's check, on the same judged list the listing used (the hub's cached one). */
  check(serverId: string, toolName: string): Promise<CallCheck>;
  /** Forgets what this replica knows of a server's pins (an approval here or on another replica): it re-reads them. */
  invalidate(serverId: string): void;
  /** Called with a server id whenever its usable tools may have changed without an upstream list_changed. */
  onChange(fn: (serverId: string) => void): () => void;
}

export interface ToolGuardOptions {
  repo: ToolPinsRepo;
  hub: Pick<Hub, 'list'>;
  /** Read per listing, so a config reload applies. */
  settings(): ToolPinningSettings;
  /** gateway.yaml's pins of a server (upstream tool name → hash). */
  staticPins(serverId: string): Readonly<Record<string, string>>;
  log: Logger;
  metrics: Pick<Metrics, 'toolDrift' | 'toolsQuarantined'>;
  scan?: DefinitionScan;
  now?: () => number;
}

interface Verdict {
  usable: JsonObject[];
  /** Tool name → why it is held back (enforce) or flagged (audit). */
  notApproved: Map<string, string>;
}

interface Memo {
  tools: JsonObject[];
  settings: ToolPinningSettings;
  statics: Readonly<Record<string, string>>;
  gen: number;
  at: number;
  verdict: Promise<Verdict>;
}

const OK: CallCheck = { verdict: 'ok' };

export function createToolGuard(o: ToolGuardOptions): ToolGuard {
  const now = o.now ?? Date.now;
  const hashed = new WeakMap<JsonObject[], SeenTool[]>();
  const pins = new Map<string, { rows: Map<string, ToolPinRow>; at: number; gen: number }>();
  const memo = new Map<string, Memo>();
  const gens = new Map<string, number>();
  const queue = new Map<string, Promise<unknown>>();
  const listeners = new Set<(serverId: string) => void>();
  const gen = (sid: string) => gens.get(sid) ?? 0;

  /** Hashing happens once per list the hub fetched (it keeps the same array until list_changed or a reconnect). */
  function seen(tools: JsonObject[]): SeenTool[] {
    let s = hashed.get(tools);
    if (!s) {
      s = tools.map((tool) => {
        const def = toolDefinition(tool);
        return { name: String(tool.name ?? ''), tool, def, hash: definitionHash(def) };
      });
      hashed.set(tools, s);
    }
    return s;
  }

  async function pinsOf(sid: string): Promise<Map<string, ToolPinRow>> {
    const g = gen(sid);
    const cached = pins.get(sid);
    if (cached && cached.gen === g && now() - cached.at < o.settings().refreshMs) return cached.rows;
    try {
      const rows = new Map((await o.repo.serverPins(sid)).map((r) => [r.toolName, r]));
      if (gen(sid) === g) pins.set(sid, { rows, at: now(), gen: g });
      return rows;
    } catch (err) {
      // A stale copy beats none while the database is away; with none the caller decides (enforce fails closed).
      if (!cached || cached.gen !== g) throw err;
      o.log.warn({ server: sid, err: dbErrorReason(err) }, 'tool pins: cannot re-read the pins; using the copy held');
      return cached.rows;
    }
  }

  /** One judgement at a time per server: two listings racing would record the same drift twice. */
  function serial<T>(sid: string, fn: () => Promise<T>): Promise<T> {
    const run = (queue.get(sid) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    queue.set(sid, tail);
    void tail.then(() => queue.get(sid) === tail && queue.delete(sid));
    return run;
  }

  async function judgeList(sid: string, tools: JsonObject[], settings: ToolPinningSettings, statics: Readonly<Record<string, string>>): Promise<Verdict> {
    const list = seen(tools);
    const rows = await pinsOf(sid);
    const ctx = { serverId: sid, settings, hasPins: rows.size > 0 || Object.keys(statics).length > 0, scan: o.scan };
    let judged = list.map((t) => ({ t, j: judge(t, rows.get(t.name), statics[t.name], ctx) }));
    // A name listed twice (an upstream bug) is recorded once, from its first entry.
    const writes = new Map<string, PinWrite>();
    for (const { t, j } of judged) if (j.action && !writes.has(t.name)) writes.set(t.name, { tool: t, action: j.action });
    if (writes.size) {
      const raced = await applyActions({ ...o, serverId: sid, mode: settings.mode, now }, [...writes.values()], rows);
      // Another replica recorded a first sight meanwhile: judge those tools again against what it recorded.
      if (raced.size) judged = judged.map((x) => (raced.has(x.t.name) ? { ...x, j: judge(x.t, rows.get(x.t.name), statics[x.t.name], ctx) } : x));
    }
    const notApproved = new Map<string, string>();
    const usable: JsonObject[] = [];
    for (const { t, j } of judged) {
      if (!j.approved) notApproved.set(t.name, j.reason ?? 'not approved');
      if (j.approved || settings.mode === 'audit') usable.push(t.tool);
    }
    o.metrics.toolsQuarantined(sid, notApproved.size);
    return { usable: usable.length === tools.length ? tools : usable, notApproved };
  }

  function evaluate(sid: string, tools: JsonObject[]): Promise<Verdict> {
    const settings = o.settings();
    const statics = o.staticPins(sid);
    const m = memo.get(sid);
    if (m && m.tools === tools && m.settings === settings && m.statics === statics && m.gen === gen(sid) && now() - m.at < settings.refreshMs) return m.verdict;
    const verdict = serial(sid, () => judgeList(sid, tools, settings, statics));
    const entry: Memo = { tools, settings, statics, gen: gen(sid), at: now(), verdict };
    memo.set(sid, entry);
    verdict.catch(() => memo.get(sid) === entry && memo.delete(sid));
    return verdict;
  }

  /** The server could not be listed: the stored status decides (its call will most likely fail upstream anyway). */
  async function fromStore(sid: string, name: string, mode: ToolPinningSettings['mode']): Promise<CallCheck> {
    const row = (await pinsOf(sid).catch(() => null))?.get(name);
    if (!row || row.status === 'approved' || o.staticPins(sid)[name] !== undefined) return OK;
    const reason = `the tool "${name}" of MCP server "${sid}" is quarantined until an admin approves it (gateway tools approve ${sid} ${name})`;
    return { verdict: mode === 'enforce' ? 'held' : 'flagged', reason };
  }

  return {
    async usable(sid, tools) {
      const settings = o.settings();
      if (settings.mode === 'off') return tools;
      try {
        return (await evaluate(sid, tools)).usable;
      } catch (err) {
        if (settings.mode === 'audit') return tools;
        o.log.warn({ server: sid, err: dbErrorReason(err) }, 'tool pins: cannot read the pins; the server is left out of listings');
        throw new Error(`the gateway cannot check this server's tool pins right now`);
      }
    },
    async check(sid, name) {
      const { mode } = o.settings();
      if (mode === 'off') return OK;
      let tools: JsonObject[];
      try {
        tools = await o.hub.list(sid, 'tools');
      } catch {
        return fromStore(sid, name, mode);
      }
      let v: Verdict;
      try {
        v = await evaluate(sid, tools);
      } catch {
        return mode === 'enforce' ? { verdict: 'held', reason: `the gateway cannot check the pins of MCP server "${sid}" right now; retry shortly` } : OK;
      }
      const reason = v.notApproved.get(name);
      return reason === undefined ? OK : { verdict: mode === 'enforce' ? 'held' : 'flagged', reason };
    },
    invalidate(sid) {
      gens.set(sid, gen(sid) + 1);
      pins.delete(sid);
      memo.delete(sid);
      for (const fn of listeners) fn(sid);
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
