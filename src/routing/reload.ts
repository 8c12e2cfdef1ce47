// Hot reload of gateway.yaml: validate with the boot loader, then swap providers, prices, keys and router in one step.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { loadConfigFrom } from '../config.js';
import type { Deps } from '../deps.js';
import { createKeyStore } from '../policy/key-store.js';
import { createPolicy } from '../policy/policy.js';
import { createPriceBook } from '../policy/prices.js';
import { createProviderRegistry } from '../providers/registry.js';
import { createRouter } from './router.js';

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
}

export function createConfigReloader(deps: Deps, opts: ReloaderOptions = {}): ConfigReloader {
  const watchers: FSWatcher[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let lastText: string | null = null;

  function reload(path: string): ReloadResult {
    let next;
    try {
      const loaded = loadConfigFrom(path, opts.env);
      // Listening address, storage and log settings need a restart; everything routing-related swaps live.
      next = { ...loaded.config, server: deps.config.server, storage: deps.config.storage, requestLog: deps.config.requestLog, logLevel: deps.config.logLevel };
      const providers = createProviderRegistry(next);
      const prices = createPriceBook(next);
      const keys = createKeyStore({ config: next, repo: deps.repo, redis: deps.redis });
      const router = createRouter(next, providers, prices, deps.router.health);
      const policy = createPolicy(next, deps.policyStores, prices, deps.log);
      // One synchronous block: a request sees either the old set or the new one, never a mix.
      deps.router.health.setConfig(next.routing);
      Object.assign(deps, { config: next, providers, prices, keys, router, resolver: router, policy });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      deps.log.error({ config: path, error }, 'config reload rejected; the previous config keeps serving');
      return { ok: false, error };
    }
    deps.log.info({ config: path, providers: Object.keys(next.providers), aliases: Object.keys(next.models) }, 'config reloaded');
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
        if (file !== null && file !== name) return;
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
