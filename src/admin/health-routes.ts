// /admin/health: providers' routing targets (breaker, error rate, latency), MCP upstreams (state, recent calls, tools) and the batched writers.
import type { Hono } from 'hono';
import type { Deps } from '../deps.js';
import type { AppEnv } from '../http/context.js';
import type { TargetHealth } from '../routing/health.js';
import type { McpCallStats } from '../storage/spend-queries.js';
import type { BatchWriterStats } from '../tracing/batch-writer.js';
import { queriesFor } from './spend-routes.js';

/** Per provider; targets with an open or half-open breaker come first. */
const MAX_TARGETS = 100;
/** MCP error rates and latencies are read from the request log over this window. */
export const MCP_WINDOW_MS = 15 * 60_000;
/** A tools list not cached yet is fetched, but a slow upstream does not hold the page. */
const TOOLS_WAIT_MS = 1000;
const BREAKER_RANK: Record<string, number> = { open: 0, 'half-open': 1, closed: 2 };

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function targetView(model: string, h: TargetHealth) {
  const p50 = h.percentile(50, 1);
  const breaker = h.breaker.state();
  return { model, breaker, breakerReason: breaker === 'closed' ? null : h.breaker.reason() || null, errorRate: round(h.errors, 4), latencyP50Ms: p50 === null ? null : Math.round(p50) };
}

function providers(deps: Deps) {
  const rt = deps.runtime;
  const byProvider = new Map<string, Array<ReturnType<typeof targetView>>>();
  for (const h of deps.health.entries()) {
    // Keys are `<provider>/<model>`; targets of providers a reload removed are left out.
    const i = h.key.indexOf('/');
    const id = h.key.slice(0, i);
    if (i < 0 || !rt.providers.has(id)) continue;
    const list = byProvider.get(id) ?? [];
    list.push(targetView(h.key.slice(i + 1), h));
    byProvider.set(id, list);
  }
  return [...rt.providers.values()].map((p) => {
    const all = (byProvider.get(p.id) ?? []).sort((a, b) => BREAKER_RANK[a.breaker]! - BREAKER_RANK[b.breaker]! || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
    return { id: p.id, kind: p.kind, targets: all.slice(0, MAX_TARGETS), moreTargets: Math.max(0, all.length - MAX_TARGETS) };
  });
}

async function toolCount(deps: Deps, id: string): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), TOOLS_WAIT_MS);
  });
  try {
    return await Promise.race([deps.hub.list(id, 'tools').then((l) => l.length), late]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function mcpServers(deps: Deps) {
  const health = deps.hub.health();
  const ids = Object.keys(health).sort();
  // The request log may be off or the database down: the page still shows connection states.
  const stats: Map<string, McpCallStats> | null = await queriesFor(deps.database.db)
    .mcpStats(new Date(Date.now() - MCP_WINDOW_MS), ids)
    .catch(() => null);
  return Promise.all(
    ids.map(async (id) => {
      const h = health[id]!;
      const s = stats ? (stats.get(id) ?? { calls: 0, failures: 0, latencyP50Ms: null }) : null;
      // No breaker object guards an MCP upstream, but a down one fails calls fast until its next reconnect: that is an open breaker.
      const breaker = h.state === 'down' ? 'open' : h.state === 'connecting' && h.retries > 0 ? 'half-open' : 'closed';
      return {
        id,
        transport: deps.runtime.config.mcpServers[id]?.type ?? null,
        status: h.state,
        error: h.error ?? null,
        retries: h.retries,
        breaker,
        calls: s?.calls ?? null,
        errorRate: s && s.calls > 0 ? round(s.failures / s.calls, 4) : null,
        latencyP50Ms: s?.latencyP50Ms ?? null,
        tools: h.state === 'ready' ? await toolCount(deps, id) : null,
      };
    }),
  );
}

type WriterView = Pick<BatchWriterStats, 'queued' | 'queuedBytes' | 'spooled' | 'spoolBytes' | 'dropped' | 'deadLettered' | 'failures' | 'lastFlushMs' | 'accepting'> & { enabled: boolean };

/** The figures an operator acts on; `lastError` stays in the log (a database message may quote row values). */
function writerView(s: BatchWriterStats, enabled: boolean): WriterView {
  const { queued, queuedBytes, spooled, spoolBytes, dropped, deadLettered, failures, lastFlushMs, accepting } = s;
  return { enabled, queued, queuedBytes, spooled, spoolBytes, dropped, deadLettered, failures, lastFlushMs, accepting };
}

/** Registers the route on the (already authenticated) admin app. */
export function healthRoutes(app: Hono<AppEnv>): void {
  app.get('/health', async (c) => {
    const deps = c.var.deps;
    const audit = deps.audit.stats();
    const spend = deps.policyStores.spend;
    return c.json({
      time: new Date().toISOString(),
      providers: providers(deps),
      mcpServers: await mcpServers(deps),
      mcpWindowSeconds: MCP_WINDOW_MS / 1000,
      writers: {
        requestLog: writerView(deps.requestLog.stats(), deps.runtime.config.requestLog.enabled),
        audit: writerView(audit, audit.enabled),
        budgetSpend: spend ? writerView(spend.stats(), true) : null,
      },
    });
  });
}
