// Every request the rehearsal sends through the balancer and the final answer it got: status, error code, which replica.
import OpenAI from 'openai';

export type Phase = 'before' | 'during' | 'after';
/** agent: the scripted run's calls; drain: slow calls in flight when a replica is told to stop; budget/rate: the bursts. */
export type Kind = 'agent-chat' | 'agent-tool' | 'mcp-http' | 'drain' | 'budget' | 'rate';

export interface Outcome {
  kind: Kind;
  phase: Phase;
  label: string;
  /** HTTP status of the final answer; null when the client got no answer at all (connection error). */
  status: number | null;
  /** OpenAI error code on refusals (insufficient_quota, rate_limit_exceeded). */
  code: string | null;
  /** HAProxy's x-served-by: the replica that answered. */
  replica: string | null;
  /** The replica's process generation at the time (1 before its first restart). */
  generation: number | null;
  error: string | null;
}

export interface Ledger {
  outcomes: Outcome[];
  phase: Phase;
  /** Which generation each replica is in now, so answers can say which process served them. */
  generations: Map<string, number>;
  add(o: Omit<Outcome, 'phase' | 'generation'>): Outcome;
  /** One chat completion through the official SDK, recorded whatever happens; `expect`: the answer it must give. */
  chat(client: OpenAI, kind: Kind, label: string, body: OpenAI.ChatCompletionCreateParamsNonStreaming, expect?: string): Promise<Outcome>;
  /** The same, streamed: a stream cut short (no finish, or an error mid-way) counts as an error. `onFirst` fires at the first chunk. */
  stream(client: OpenAI, kind: Kind, label: string, body: OpenAI.ChatCompletionCreateParamsStreaming, expect: string, onFirst: () => void): Promise<Outcome>;
}

type Answer = Pick<Outcome, 'status' | 'code' | 'replica' | 'error'>;

function failure(err: unknown): Answer {
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    return { status: err.status, code: err.code ?? null, replica: err.headers?.get('x-served-by') ?? null, error: err.message };
  }
  return { status: null, code: null, replica: null, error: err instanceof Error ? err.message : String(err) };
}

const mismatch = (text: string | null, expect: string | undefined) => (expect === undefined || text === expect ? null : `answered ${JSON.stringify(text)}`);

export function createLedger(): Ledger {
  const ledger: Ledger = {
    outcomes: [],
    phase: 'before',
    generations: new Map(),
    add(o) {
      const out: Outcome = { ...o, phase: ledger.phase, generation: o.replica ? (ledger.generations.get(o.replica) ?? null) : null };
      ledger.outcomes.push(out);
      return out;
    },
    async chat(client, kind, label, body, expect) {
      try {
        const { data, response } = await client.chat.completions.create(body).withResponse();
        const text = data.choices[0]?.message.content ?? null;
        return ledger.add({ kind, label, status: response.status, code: null, replica: response.headers.get('x-served-by'), error: mismatch(text, expect) });
      } catch (err) {
        return ledger.add({ kind, label, ...failure(err) });
      }
    },
    async stream(client, kind, label, body, expect, onFirst) {
      let answer: Answer | null = null;
      try {
        const { data, response } = await client.chat.completions.create(body).withResponse();
        answer = { status: response.status, code: null, replica: response.headers.get('x-served-by'), error: null };
        let text = '';
        let finished = false;
        for await (const chunk of data) {
          onFirst();
          text += chunk.choices[0]?.delta.content ?? '';
          if (chunk.choices[0]?.finish_reason) finished = true;
        }
        return ledger.add({ kind, label, ...answer, error: finished ? mismatch(text, expect) : `stream ended without finishing after ${JSON.stringify(text)}` });
      } catch (err) {
        // After the headers, a failure is a stream cut mid-way: the status was 200 but the answer is lost.
        return ledger.add({ kind, label, ...(answer ? { ...answer, error: `stream broke: ${(err as Error).message}` } : failure(err)) });
      } finally {
        onFirst();
      }
    },
  };
  return ledger;
}

/** A fetch for the MCP transport that records every HTTP exchange (initialize, notifications, tools/call, the GET stream). */
export function recordingFetch(ledger: Ledger, onToolCall: (label: string, replica: string | null, status: number) => void): typeof fetch {
  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    let rpc = method === 'GET' ? 'GET stream' : method === 'DELETE' ? 'DELETE session' : 'POST';
    let toolLabel: string | null = null;
    if (typeof init?.body === 'string') {
      try {
        const msg = JSON.parse(init.body) as { method?: string; params?: { arguments?: { text?: unknown } } };
        if (msg.method) rpc = msg.method;
        if (msg.method === 'tools/call' && typeof msg.params?.arguments?.text === 'string') toolLabel = msg.params.arguments.text;
      } catch {
        // not JSON: recorded as a bare POST
      }
    }
    try {
      const res = await fetch(input, init);
      const replica = res.headers.get('x-served-by');
      ledger.add({ kind: 'mcp-http', label: rpc, status: res.status, code: null, replica, error: null });
      if (toolLabel !== null) onToolCall(toolLabel, replica, res.status);
      return res;
    } catch (err) {
      // An aborted GET stream is the client closing it, not a lost request.
      if ((err as Error).name !== 'AbortError') ledger.add({ kind: 'mcp-http', label: rpc, status: null, code: null, replica: null, error: (err as Error).message });
      throw err;
    }
  };
}
