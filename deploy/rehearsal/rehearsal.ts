// The multi-replica rehearsal: replicas on real Postgres and Redis behind HAProxy, an agent run and bursts through it, rolling restarts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeUpstream } from '../../test/fixtures/fake-upstream.js';
import { startFixture } from '../../test/helpers/mcp.js';
import { startAgent, type ExpectedEvent } from './agent.js';
import { startBalancer } from './balancer.js';
import { budgetBurst, mergeBursts, rateBurst, slowCalls, type BurstResult } from './bursts.js';
import { writeRehearsalConfig, type Plan } from './config.js';
import { createLedger, type Outcome } from './ledger.js';
import { readTrail, readSpends, type Spend, type Trail } from './readback.js';
import { prepareRunner, startReplicas, type Runner, type StopReport } from './replicas.js';
import { openStorage } from './storage.js';

export interface RunPlan extends Plan {
  stepsBefore: number;
  stepsDuring: number;
  stepsAfter: number;
  slowCalls: number;
  slowMs: number;
}

/**
 * CI's form: two replicas, one restart, small bursts. Each burst runs half while every replica serves and half while one
 * drains; the budget and the limit fit more than the first half, so refusals come from the replicas left standing.
 */
export const SHORT_PLAN: RunPlan = {
  replicas: 2, restarts: 1, burstCalls: 16, burstAllowed: 10, rateCalls: 16, ratePerMinute: 10,
  shutdownGraceMs: 10_000, stepsBefore: 3, stepsDuring: 2, stepsAfter: 2, slowCalls: 4, slowMs: 1_500,
};
/** The full form: three replicas, every one restarted in turn, a budget burst and a rate-limit burst on fresh keys each time. */
export const FULL_PLAN: RunPlan = {
  replicas: 3, restarts: 3, burstCalls: 60, burstAllowed: 40, rateCalls: 60, ratePerMinute: 40,
  shutdownGraceMs: 15_000, stepsBefore: 5, stepsDuring: 4, stepsAfter: 4, slowCalls: 9, slowMs: 2_500,
};

export interface RehearsalOptions {
  plan: RunPlan;
  runner: Runner;
  databaseUrl: string;
  /** Make (and drop) a database of the run's own; false uses databaseUrl as it is. */
  freshDatabase: boolean;
  redisUrl: string;
  redisDb: number;
  /** An HAProxy config template of one's own (default deploy/rehearsal/haproxy.cfg). */
  haproxyTemplate?: string;
  log?: (line: string) => void;
}

export interface RestartReport extends StopReport {
  round: number;
  downSeen: boolean;
  restartMs: number;
  budget: BurstResult;
  rate: BurstResult;
  /** Tool calls on the agent's MCP session after the restart: who answered, and whether it answered well. */
  walk: Outcome[];
}

export interface RehearsalResult {
  plan: RunPlan;
  runner: Runner;
  sessionId: string;
  mcpSessionIds: string[];
  initializedOn: { replica: string | null; generation: number | null };
  expected: ExpectedEvent[];
  outcomes: Outcome[];
  restarts: RestartReport[];
  spends: Spend[];
  trail: Trail;
  haproxy: { retries: number; redispatches: number; events: string[] };
  /** The burst keys' limits (no secrets). */
  limits: { bursts: Array<{ id: string; allowed: number; limitUsd: number }>; rates: Array<{ id: string; perMinute: number }> };
  durationMs: number;
}

export async function runRehearsal(o: RehearsalOptions): Promise<RehearsalResult> {
  const t0 = Date.now();
  const sink = o.log ?? (() => undefined);
  const log = (line: string) => sink(`${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${line}`);
  const plan = o.plan;
  const runId = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
  const dir = mkdtempSync(join(tmpdir(), 'gw-rehearsal-'));
  const cleanup: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const storage = await openStorage({ databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, fresh: o.freshDatabase, redisDb: o.redisDb });
    cleanup.unshift(() => storage.close());
    const fake = await startFakeUpstream();
    cleanup.unshift(() => fake.close());
    const fixture = await startFixture();
    cleanup.unshift(() => fixture.stop());
    const cfg = writeRehearsalConfig({ dir, runId, plan, upstreamUrl: fake.url, mcpUrl: fixture.url });
    prepareRunner(o.runner);
    log(`starting ${plan.replicas} replicas (${o.runner}) on ${storage.databaseUrl.replace(/\/\/[^@]*@/, '//')} and ${storage.redisUrl}`);
    const replicas = await startReplicas({ count: plan.replicas, runner: o.runner, configPath: cfg.path, dir, env: { ...cfg.env, DATABASE_URL: storage.databaseUrl, REDIS_URL: storage.redisUrl }, killAfterMs: plan.shutdownGraceMs + 20_000 });
    cleanup.unshift(() => replicas.stopAll());
    const lb = await startBalancer({ dir, servers: replicas.list.map((r) => ({ name: r.name, port: r.port })), template: o.haproxyTemplate });
    cleanup.unshift(() => lb.stop());
    log(`haproxy on ${lb.url} (stats ${lb.statsUrl})`);

    const ledger = createLedger();
    for (const r of replicas.list) ledger.generations.set(r.name, 1);
    const sessionId = `rehearsal-${runId}`;
    const agent = await startAgent({ url: lb.url, key: cfg.agent.key, sessionId, ledger });
    const mcpSessionIds = new Set<string>([agent.mcpSessionId() ?? '']);
    let step = 0;
    const steps = async (n: number) => {
      for (let i = 0; i < n; i++) await agent.step(`agent-${++step}`);
      mcpSessionIds.add(agent.mcpSessionId() ?? '');
    };
    await steps(plan.stepsBefore);

    // The replica that created the MCP session goes first: the session must outlive the process that made it.
    const first = agent.initializedOn.replica ?? 'r1';
    const order = [first, ...replicas.list.map((r) => r.name).filter((n) => n !== first)].slice(0, plan.restarts);
    const restarts: RestartReport[] = [];
    for (const [round, name] of order.entries()) {
      // One budget burst and one rate-limit burst per restart, in two halves: the first while every replica serves
      // (round robin spreads it over all of them), the second while `name` drains and restarts.
      const bk = cfg.bursts[round]!;
      const rk = cfg.rates[round]!;
      const half = (n: number) => Math.floor(n / 2);
      ledger.phase = 'before';
      const [budget1, rate1] = await Promise.all([
        budgetBurst(ledger, { url: lb.url, keyId: bk.id, key: bk.key, calls: half(plan.burstCalls) }),
        rateBurst(ledger, { url: lb.url, keyId: rk.id, key: rk.key, calls: half(plan.rateCalls) }),
      ]);
      const slow = slowCalls(ledger, { url: lb.url, key: cfg.agent.key, calls: plan.slowCalls, slowMs: plan.slowMs, round, fake });
      await slow.inFlight;
      log(`round ${round + 1}: SIGTERM ${name} with ${plan.slowCalls} slow calls (half of them streams) in flight across the replicas; bursts and agent steps go on`);
      ledger.phase = 'during';
      const stopping = replicas.stop(name);
      const [budget2, rate2] = await Promise.all([
        budgetBurst(ledger, { url: lb.url, keyId: bk.id, key: bk.key, calls: plan.burstCalls - half(plan.burstCalls), from: half(plan.burstCalls) }),
        rateBurst(ledger, { url: lb.url, keyId: rk.id, key: rk.key, calls: plan.rateCalls - half(plan.rateCalls), from: half(plan.rateCalls) }),
        steps(plan.stepsDuring),
      ]);
      const budget = mergeBursts(budget1, budget2);
      const rate = mergeBursts(rate1, rate2);
      const stopped = await stopping;
      await slow.done;
      const downSeen = await lb.waitFor(name, 'DOWN', 10_000).then(() => true, () => false);
      const t = Date.now();
      ledger.generations.set(name, (ledger.generations.get(name) ?? 1) + 1);
      await replicas.start(name);
      await lb.waitFor(name, 'UP');
      const restartMs = Date.now() - t;
      log(`round ${round + 1}: ${name} exited ${stopped.code} after ${stopped.drainMs} ms (in flight at SIGTERM: ${stopped.inflightAtSignal}); back UP in HAProxy after ${restartMs} ms`);
      ledger.phase = 'after';
      // Walk the round robin on the same MCP session until both the restarted process and another replica answered.
      const walk: Outcome[] = [];
      const gen = ledger.generations.get(name)!;
      for (let k = 0; k < plan.replicas * 4; k++) {
        walk.push(await agent.tool(`walk-${round + 1}-${k + 1}`));
        const restartedServed = walk.some((w) => w.replica === name && w.generation === gen);
        if (restartedServed && walk.some((w) => w.replica !== name)) break;
      }
      mcpSessionIds.add(agent.mcpSessionId() ?? '');
      restarts.push({ ...stopped, round: round + 1, downSeen, restartMs, budget, rate, walk });
    }
    ledger.phase = 'after';
    await steps(plan.stepsAfter);
    await agent.close();

    const trail = await readTrail({ url: lb.url, adminKey: cfg.adminKey, sessionId, expected: agent.expected.length });
    const spends = await readSpends({ replicas: replicas.list, adminKey: cfg.adminKey, keys: cfg.bursts });
    const haproxy = { ...(await lb.counters()), events: [...lb.events] };
    const limits = {
      bursts: cfg.bursts.map((b) => ({ id: b.id, allowed: b.allowed, limitUsd: b.limitUsd })),
      rates: cfg.rates.map((k) => ({ id: k.id, perMinute: k.perMinute })),
    };
    return {
      plan, runner: o.runner, sessionId, mcpSessionIds: [...mcpSessionIds], initializedOn: agent.initializedOn, expected: agent.expected,
      outcomes: ledger.outcomes, restarts, spends, trail, haproxy, limits, durationMs: Date.now() - t0,
    };
  } finally {
    for (const c of cleanup) await c().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  }
}
