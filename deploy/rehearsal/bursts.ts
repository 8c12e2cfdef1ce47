// Concurrent traffic through the balancer: a budget burst, a rate-limit burst, and slow calls left in flight for a drain.
import OpenAI from 'openai';
import { BURST_MAX_TOKENS, BURST_PROMPT, MODEL } from './config.js';
import type { FakeUpstream } from '../../test/fixtures/fake-upstream.js';
import type { Kind, Ledger, Outcome } from './ledger.js';

export interface BurstResult {
  key: string;
  calls: number;
  served: number;
  /** Refused with the code the burst is about (insufficient_quota for budgets, rate_limit_exceeded for limits). */
  refused: number;
  other: Outcome[];
  /** Answers per replica (name#process): the burst's calls were spread over them. */
  byReplica: Record<string, number>;
}

type BurstTarget = { url: string; keyId: string; key: string; calls: number; from?: number };

function client(url: string, key: string): OpenAI {
  // One SDK client per call: separate connections, as separate agent processes would open.
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
}

async function burst(ledger: Ledger, kind: Kind, o: BurstTarget, refusal: string): Promise<BurstResult> {
  const outs = await Promise.all(
    Array.from({ length: o.calls }, (_, i) =>
      ledger.chat(client(o.url, o.key), kind, `${kind}-${(o.from ?? 0) + i}`, {
        model: MODEL,
        // The reply is "echo: burst" (2 output tokens) and max_tokens is 2, so each call reserves exactly what it costs.
        messages: [{ role: 'user', content: BURST_PROMPT }],
        max_tokens: BURST_MAX_TOKENS,
      }),
    ),
  );
  const served = outs.filter((x) => x.status === 200);
  const refused = outs.filter((x) => x.status === 429 && x.code === refusal);
  const byReplica: Record<string, number> = {};
  for (const x of outs) if (x.replica) byReplica[`${x.replica}#${x.generation}`] = (byReplica[`${x.replica}#${x.generation}`] ?? 0) + 1;
  return { key: o.keyId, calls: o.calls, served: served.length, refused: refused.length, other: outs.filter((x) => x.status !== 200 && !refused.includes(x)), byReplica };
}

/** Two parts of one burst (before and during a restart) counted as one. */
export function mergeBursts(a: BurstResult, b: BurstResult): BurstResult {
  const byReplica = { ...a.byReplica };
  for (const [k, n] of Object.entries(b.byReplica)) byReplica[k] = (byReplica[k] ?? 0) + n;
  return { key: a.key, calls: a.calls + b.calls, served: a.served + b.served, refused: a.refused + b.refused, other: [...a.other, ...b.other], byReplica };
}

/** Many parallel calls on a key whose budget admits only some: every call gets 200 or 429 insufficient_quota. */
export function budgetBurst(ledger: Ledger, o: BurstTarget): Promise<BurstResult> {
  return burst(ledger, 'budget', o, 'insufficient_quota');
}

/** Many parallel calls on a key with a requests-per-minute limit: every call gets 200 or 429 rate_limit_exceeded. */
export function rateBurst(ledger: Ledger, o: BurstTarget): Promise<BurstResult> {
  return burst(ledger, 'rate', o, 'rate_limit_exceeded');
}

/**
 * Calls left in flight on every replica for a drain to finish: half streamed (the fake upstream paces their chunks, and
 * `inFlight` waits until each has its first chunk, so they are mid-body at the signal), half not (a model named
 * slow-<ms> makes the upstream wait before answering; `inFlight` waits until it has them all).
 */
export function slowCalls(
  ledger: Ledger,
  o: { url: string; key: string; calls: number; slowMs: number; round: number; fake: Pick<FakeUpstream, 'fault' | 'requests'> },
): { inFlight: Promise<void>; done: Promise<Outcome[]> } {
  const streamed = Math.ceil(o.calls / 2);
  const pieces = 4; // "echo: drain <round> <i>": role, then one chunk per word
  // Queued faults go to the next chat requests the upstream sees: nothing else is in flight now, so these streams get them.
  for (let i = 0; i < streamed; i++) o.fake.fault({ path: '/chat/completions', chunkDelayMs: Math.ceil(o.slowMs / pieces) });
  const firsts: Array<Promise<void>> = [];
  const streams = Array.from({ length: streamed }, (_, i) => {
    let first!: () => void;
    firsts.push(new Promise<void>((r) => (first = r)));
    const content = `drain ${o.round} s${i}`;
    return ledger.stream(client(o.url, o.key), 'drain', `drain-${o.round}-s${i}`, { model: MODEL, stream: true, messages: [{ role: 'user', content }] }, `echo: ${content}`, () => first());
  });
  const slowModel = `slow-${o.slowMs}`;
  const plain: Array<Promise<Outcome>> = [];
  const seen = () => o.fake.requests.filter((q) => JSON.stringify(q.body ?? '').includes(slowModel)).length;
  const inFlight = (async () => {
    await Promise.all(firsts);
    const before = seen();
    plain.push(
      ...Array.from({ length: o.calls - streamed }, (_, i) => {
        const content = `drain ${o.round} p${i}`;
        return ledger.chat(client(o.url, o.key), 'drain', `drain-${o.round}-p${i}`, { model: `up/${slowModel}`, messages: [{ role: 'user', content }] }, `echo: ${content}`);
      }),
    );
    for (const end = Date.now() + 30_000; seen() - before < o.calls - streamed; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > end) throw new Error('slow calls did not reach the upstream within 30 s');
    }
  })();
  const done = inFlight.then(() => Promise.all([...streams, ...plain]));
  return { inFlight, done };
}
