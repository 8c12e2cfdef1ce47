// Hot reload of gateway.yaml: validate with the boot loader, build a new runtime, swap it in one assignment, reconcile MCP upstreams.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { loadConfigFrom, type GatewayConfig } from '../config.js';
import type { Hub, HubChanges } from '../mcp/upstream/hub.js';
import { buildRuntime, type Runtime, type RuntimeShared } from '../runtime.js';

export type ReloadResult = { ok: true } | { ok: false; error: string };

export interface ConfigReloader {
  /** Reads, validates and applies `path`; on any error keeps the running config and says why. */
  reload(path: string): ReloadResult;
  /** Reloads whenever the file changes (editors that save by rename included). */
  watch(path: string): void;
  close(): void;
}

export interface ReloaderOptions {
  /** For `${VAR}` interpolation; config.ts defaults to the process environment. */
  env?: Record<string, string | undefined>;
  debounceMs?: number;
  /** After the swap and the hub's reconcile: e.g. MCP sessions re-resolve their views and send list_changed. */
  onApplied?(prev: Runtime, next: Runtime): void;
}

interface Diff {
  added: string[];
  removed: string[];
  changed: string[];
}

function diff(a: Record<string, unknown>, b: Record<string, unknown>): Diff {
  return {
    added: Object.keys(b).filter((k) => !(k in a)),
    removed: Object.keys(a).filter((k) => !(k in b)),
    changed: Object.keys(b).filter((k) => k in a && JSON.stringify(a[k]) !== JSON.stringify(b[k])),
  };
}

/** What an operator reading the log needs: which ids came, went or changed (names only, never values: providers hold keys). */
function describe(prev: GatewayConfig, next: GatewayConfig, mcp: HubChanges): Record<string, Partial<Diff & HubChanges>> {
  const byId = (keys: GatewayConfig['keys']) => Object.fromEntries(keys.map((k) => [k.id, k]));
  const groups: Record<string, Partial<Diff & HubChanges>> = {
    providers: diff(prev.providers, next.providers),
    aliases: diff(prev.models, next.models),
    mcpServers: { added: mcp.added, removed: mcp.removed, restarted: mcp.restarted },
    virtualServers: diff(prev.virtualServers, next.virtualServers),
    teams: diff(prev.teams, next.teams),
    keys: diff(byId(prev.keys), byId(next.keys)),
  };
  const out: Record<string, Partial<Diff & HubChanges>> = {};
  for (const [name, g] of Object.entries(groups)) {
    const kept = Object.fromEntries(Object.entries(g).filter(([, ids]) => (ids as string[]).length > 0));
    if (Object.keys(kept).length > 0) out[name] = kept;
  }
  return out;
}

/** What a reload touches (Deps satisfies it): the runtime slot it replaces, the parts a runtime is built on, the hub. */
export interface ReloadTarget extends RuntimeShared {
  runtime: Runtime;
  hub: Pick<Hub, 'reconcile'>;
}

export function createConfigReloader(deps: ReloadTarget, opts: ReloaderOptions = {}): ConfigReloader {
  const watchers: FSWatcher[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let lastText: string | null = null;

  function reload(path: string): ReloadResult {
    const prev = deps.runtime;
    let next: Runtime;
    try {
      const loaded = loadConfigFrom(path, opts.env);
      const was = prev.config;
      // Listening address, storage and log settings need a restart; everything else swaps live.
      const config = { ...loaded.config, server: was.server, storage: was.storage, requestLog: was.requestLog, logLevel: was.logLevel };
      next = buildRuntime(config, deps);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      deps.log.error({ config: path, error }, 'config reload rejected; the previous config keeps serving');
      return { ok: false, error };
    }
    // One synchronous block: a request sees either the old runtime or the new one, never a mix.
    deps.health.setConfig(next.config.routing);
    deps.runtime = next;
    const mcp = deps.hub.reconcile(next.config.mcpServers, next.config.mcp);
    void mcp.closed.catch((err: unknown) => deps.log.warn({ err }, 'config reload: an old MCP upstream did not close cleanly'));
    opts.onApplied?.(prev, next);
    const changes = describe(prev.config, next.config, mcp);
    deps.log.info({ config: path, changes }, Object.keys(changes).length ? 'config reloaded' : 'config reloaded (no changes)');
    return { ok: true };
  }

  function onChange(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return; // mid-rename; the next event brings the new file
    }
    if (text === lastText) return;
    lastText = text;
    reload(path);
  }

  return {
    reload,
    watch(path) {
      const abs = resolve(path);
      const name = basename(abs);
      try {
        lastText = readFileSync(abs, 'utf8');
      } catch {
        lastText = null;
      }
      const debounce = opts.debounceMs ?? 100;
      let timer: NodeJS.Timeout | null = null;
      // Watch the directory: an atomic save replaces the file, and a watch on the old inode goes quiet.
      const w = watch(dirname(abs), (_event, file) => {
        // Kubernetes swaps a mounted ConfigMap's `..data` symlink; the file's own name never changes there.
        if (file !== null && file !== name && file !== '..data') return;
        if (timer) {
          clearTimeout(timer);
          timers.delete(timer);
        }
        timer = setTimeout(() => {
          if (timer) timers.delete(timer);
          onChange(abs);
        }, debounce);
        timers.add(timer);
      });
      w.on('error', (err) => deps.log.warn({ config: abs, err: err.message }, 'config watcher failed; hot reload is off'));
      w.unref();
      watchers.push(w);
    },
    close() {
      for (const w of watchers) w.close();
      for (const t of timers) clearTimeout(t);
      watchers.length = 0;
    },
  };
}
