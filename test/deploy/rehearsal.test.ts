// CI's short form of the multi-replica rehearsal (deploy/rehearsal): two gateway processes behind HAProxy, one restarted mid-run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasHaproxy } from '../../deploy/rehearsal/balancer.js';
import { evaluate, type Check } from '../../deploy/rehearsal/checks.js';
import { runRehearsal, SHORT_PLAN, type RehearsalResult } from '../../deploy/rehearsal/rehearsal.js';
import { formatSummary } from '../../deploy/rehearsal/report.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const ready = hasHaproxy() && !!DATABASE_URL && !!REDIS_URL;
const plan = SHORT_PLAN;

let r: RehearsalResult;
let checks: Check[];
const check = (id: Check['id']) => checks.find((c) => c.id === id)!;

// In CI a missing HAProxy, Postgres or Redis is a failure, not a reason to skip.
it.runIf(process.env.CI && !ready)('has HAProxy, DATABASE_URL and REDIS_URL for the rehearsal', () => {
  expect({ haproxy: hasHaproxy(), database: !!DATABASE_URL, redis: !!REDIS_URL }).toEqual({ haproxy: true, database: true, redis: true });
});

describe.runIf(ready)('multi-replica rehearsal (short form)', () => {
  beforeAll(async () => {
    r = await runRehearsal({
      plan,
      runner: 'tsx',
      // The file's own throwaway database (test/helpers/isolated-postgres.ts), and a Redis db the script does not use.
      databaseUrl: DATABASE_URL!,
      freshDatabase: false,
      redisUrl: REDIS_URL!,
      redisDb: 13,
    });
    checks = evaluate(r);
  }, 180_000);
  afterAll(() => {
    if (r) console.log(`\n${formatSummary(r, checks)}\n`);
  });

  it('keeps the MCP session across the replica change: same session, answered by another replica and by the restarted one', () => {
    expect(r.mcpSessionIds.filter(Boolean)).toHaveLength(1);
    const [round] = r.restarts;
    expect(round!.name).toBe(r.initializedOn.replica);
    expect(round!.walk.every((w) => w.status === 200 && w.error === null)).toBe(true);
    expect(round!.walk.some((w) => w.replica !== round!.name)).toBe(true);
    expect(round!.walk.some((w) => w.replica === round!.name && w.generation === 2)).toBe(true);
    expect(check('mcp-session').ok, check('mcp-session').detail).toBe(true);
  });

  it('records every call of the session in the audit timeline, once, in call order by time', () => {
    const calls = r.trail.events.filter((e) => e.kind === 'model_call' || e.kind === 'tool_call');
    expect(calls.map((e) => e.label).sort()).toEqual(r.expected.map((e) => e.label).sort());
    expect(check('audit-complete').ok, check('audit-complete').detail).toBe(true);
  });

  // Replicas number a session's events (seq) as their writers flush; the admin timeline still lists calls in call order.
  it('lists the session in call order in the admin timeline across replicas', () => {
    expect(check('audit-seq-order').ok, check('audit-seq-order').detail).toBe(true);
  });

  it('verifies the audit chain of the session and of every session', () => {
    expect(r.trail.verify).toMatchObject({ ok: true, checked: r.trail.events.length });
    expect(r.trail.verifyAll).toMatchObject({ ok: true });
  });

  it('holds the budget across replicas: exactly the calls it fits are served, every replica reports the same spend', () => {
    const [round] = r.restarts;
    expect(round!.budget).toMatchObject({ calls: plan.burstCalls, served: plan.burstAllowed, refused: plan.burstCalls - plan.burstAllowed, other: [] });
    // The first half ran while both replicas served: round robin spread it over them.
    expect(Object.keys(round!.budget.byReplica).length).toBeGreaterThanOrEqual(2);
    const spends = r.spends.filter((s) => s.key === r.limits.bursts[0]!.id);
    expect(spends).toHaveLength(plan.replicas);
    for (const s of spends) {
      expect(s.spentUsd).toBeLessThanOrEqual(s.limitUsd);
      expect(s.spentUsd).toBeCloseTo(r.limits.bursts[0]!.limitUsd, 9);
      expect(s.reservedUsd).toBe(0);
    }
  });

  it('enforces one rate limit for all replicas, not one each', () => {
    const [round] = r.restarts;
    expect(round!.rate).toMatchObject({ calls: plan.rateCalls, served: plan.ratePerMinute, refused: plan.rateCalls - plan.ratePerMinute, other: [] });
    expect(Object.keys(round!.rate.byReplica).length).toBeGreaterThanOrEqual(2);
    // One limit per replica would have served more than the limit.
    expect(plan.ratePerMinute * plan.replicas).toBeGreaterThan(plan.ratePerMinute);
  });

  it('loses no request during the restart: every request got an expected answer, no 5xx, no connection error', () => {
    const bad = r.outcomes.filter((o) => o.status === null || o.status >= 500);
    expect(bad).toEqual([]);
    expect(check('no-loss').ok, check('no-loss').detail).toBe(true);
    const drains = r.outcomes.filter((o) => o.kind === 'drain');
    expect(drains).toHaveLength(plan.slowCalls);
    expect(drains.every((o) => o.status === 200)).toBe(true);
  });

  it('drains the stopped replica (exit 0, in-flight calls finished) and sees it back UP in HAProxy', () => {
    expect(r.restarts).toHaveLength(1);
    expect(r.restarts[0]).toMatchObject({ code: 0, cutShort: false, downSeen: true });
    // Round robin put a stream (mid-body at SIGTERM) and a plain call on the stopped replica: both finished whole.
    expect(r.restarts[0]!.inflightAtSignal).toBeGreaterThan(0);
    const onStopped = r.outcomes.filter((o) => o.kind === 'drain' && o.replica === r.restarts[0]!.name && o.generation === 1);
    expect(onStopped.map((o) => [o.label.includes('-s') ? 'stream' : 'plain', o.status, o.error]).sort()).toEqual([
      ['plain', 200, null],
      ['stream', 200, null],
    ]);
  });
});
