// One session's events as an ordered timeline: calls, tool use and policy decisions, payloads (as stored, redacted) expandable.
import type { FC } from 'hono/jsx';
import type { EventView, VerifyResult } from './api-types.js';
import { ms, num, usdMicros, when } from './format.js';
import { h, Markup, text, toJsx } from './html-text.js';

/** A payload beyond this is cut in the page (the export has all of it): a 1,000-event session stays a page, not a download. */
export const PAYLOAD_VIEW_CHARS = 32_000;

const KIND: Record<string, string> = {
  model_call: 'Model call',
  tool_call: 'Tool call',
  resource_read: 'Resource read',
  prompt_get: 'Prompt get',
  policy_decision: 'Policy decision',
  gap: 'Gap',
};

/** What a broken link means, in words (the API's `problem` codes). */
const PROBLEM: Record<string, string> = {
  hash_mismatch: 'its content does not match its hash (the row was edited)',
  prev_hash_mismatch: 'it does not link to the event before it (an event was removed, inserted or re-chained)',
  seq_gap: 'events are missing before it',
  payload_missing: 'its payload is missing',
  tail_missing: 'the last events of the session are missing',
};

const str = (e: EventView, k: string): string | null => (typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : null);
const int = (e: EventView, k: string): number | null => (typeof e[k] === 'number' ? (e[k] as number) : null);

function findingsText(v: unknown): string | null {
  if (!v || typeof v !== 'object') return null;
  const parts = Object.entries(v as Record<string, unknown>).map(([type, n]) => `${type} × ${typeof n === 'number' ? n : '?'}`);
  return parts.length ? parts.join(', ') : null;
}

/** What the event is about: a model (requested → served), a tool, a resource or a prompt, with its server. */
function subject(e: EventView): string | null {
  const model = str(e, 'gen_ai.request.model');
  const server = str(e, 'mcp_server');
  const mcp = str(e, 'gen_ai.tool.name') ?? str(e, 'mcp.resource.uri') ?? str(e, 'gen_ai.prompt.name');
  if (mcp) return server && !mcp.startsWith(`${server}__`) ? `${server} · ${mcp}` : mcp;
  if (model) {
    const served = str(e, 'gen_ai.response.model');
    return served && served !== model && !model.endsWith(`/${served}`) ? `${model} → ${served}` : model;
  }
  return null;
}

// The events are written with `h` (every interpolated value escaped), not JSX: a 1,000-event timeline has ~40,000
// elements, and JSX's per-node work was most of the page's render time. The markup is what the JSX wrote.
const MONO = new Markup(' class="mono"');

const field = (label: string, value: string | null, mono = false): Markup | null =>
  value === null ? null : h`<div><dt>${label}</dt><dd${mono ? MONO : null}>${value}</dd></div>`;

function pretty(v: unknown): string {
  const text = JSON.stringify(v, null, 2) ?? 'null';
  return text.length > PAYLOAD_VIEW_CHARS ? `${text.slice(0, PAYLOAD_VIEW_CHARS)}\n… ${num(text.length - PAYLOAD_VIEW_CHARS)} more characters: the JSON Lines export has all of it.` : text;
}

const PAYLOAD_PART: Record<string, string> = {
  request: 'Request, as the upstream saw it (after redaction)',
  response: 'Response, as the client got it',
  original: "Client's original request (unredacted: audit.payloads is full)",
};

/** How a timeline shows payloads: inline (open or closed), or linked (read on demand, from the event's own page). */
export type PayloadMode = { inline: true; open: boolean } | { inline: false; href: (seq: number) => string };

/**
 * A payload left out of the page: a <details> whose link opens the event's page; the console's script fetches that
 * page when it is opened and puts its payload in place (a 1,000-event page is half the size, and renders faster).
 */
function lazyPayloadHtml(parts: unknown, seq: number | null, href: (seq: number) => string): Markup | null {
  if (!Array.isArray(parts) || parts.length === 0 || seq === null) return null;
  const names = parts.map((p) => String(p)).join(', ');
  const url = href(seq);
  return h`<div class="payload"><details data-lazy-payload=""><summary>Payload (${names})</summary><p><a href="${url}">Open the payload of event #${String(seq)}</a></p></details></div>`;
}

/** Each part behind its own <details>, as escaped, pretty-printed JSON text in a <pre>. */
function payloadHtml(payload: unknown, open: boolean): Markup | null {
  if (payload === null || payload === undefined) return null;
  const parts = typeof payload === 'object' && !Array.isArray(payload) ? Object.entries(payload as Record<string, unknown>) : [['payload', payload] as const];
  const details = new Markup(open ? '<details open="">' : '<details>');
  return h`<div class="payload">${parts.map(([k, v]) => h`${details}<summary>${PAYLOAD_PART[k] ?? k}</summary><pre tabindex="0">${text(pretty(v))}</pre></details>`)}</div>`;
}

function callFields(e: EventView, decision: string | null): Array<Markup | null> {
  const inTok = int(e, 'gen_ai.usage.input_tokens');
  const outTok = int(e, 'gen_ai.usage.output_tokens');
  const cost = int(e, 'cost_micros');
  const latency = int(e, 'latency_ms');
  return [
    field('Door', str(e, 'door')),
    field('Provider', str(e, 'gen_ai.provider.name')),
    field('Model requested', str(e, 'gen_ai.request.model'), true),
    field('Model served', str(e, 'gen_ai.response.model'), true),
    field('Server', str(e, 'mcp_server'), true),
    field('Method', str(e, 'mcp.method.name'), true),
    field('Tool', str(e, 'gen_ai.tool.name'), true),
    field('Resource', str(e, 'mcp.resource.uri'), true),
    field('Prompt', str(e, 'gen_ai.prompt.name'), true),
    field('Tokens', inTok !== null || outTok !== null ? `${num(inTok)} in / ${num(outTok)} out` : null),
    field('Cost', cost === null ? null : usdMicros(cost)),
    field('Latency', latency === null ? null : ms(latency)),
    field('Stream', e.stream === true ? 'yes' : null),
    field('Error', str(e, 'error_code'), true),
    field('Rule', decision && decision !== 'allowed' ? str(e, 'rule') : null, true),
    field('Reason', str(e, 'reason')),
    field('PII findings', findingsText(e.findings)),
  ];
}

function eventHtml(e: EventView, broken: string | null, payloads: PayloadMode): Markup {
  const kind = String(e.kind ?? '');
  const decision = str(e, 'decision');
  const seq = int(e, 'seq');
  const status = int(e, 'status');
  const time = str(e, 'time');
  const isCall = kind !== 'policy_decision' && kind !== 'gap';
  const fields =
    kind === 'policy_decision'
      ? [field('Step', str(e, 'step')), field('Rule', str(e, 'rule'), true), field('Reason', str(e, 'reason')), field('Findings', findingsText(e.findings))]
      : callFields(e, decision);
  return h`<li${seq === null ? null : h` id="event-${seq}"`} class="event ${kind}${broken ? ' broken' : ''}" data-kind="${kind}"${decision === null ? null : h` data-decision="${decision}"`}><div class="event-head"><span class="seq">#${seq ?? '?'}</span><span class="kind">${KIND[kind] ?? kind}</span>${
    decision && decision !== 'allowed' ? h`<span class="badge ${decision}">${decision}</span>` : null
  }${isCall && status !== null ? h`<span class="badge ${status >= 400 ? 'error' : 'ok'}">${String(status)}</span>` : null}<span class="subject">${subject(e) ?? ''}</span><time class="muted"${
    time === null ? null : h` datetime="${time}"`
  }>${when(time)}</time></div>${broken ? h`<p class="broken-note">The chain breaks here: ${broken}.</p>` : null}<dl class="fields">${fields}${field('Request id', str(e, 'request_id'), true)}</dl>${payloads.inline ? payloadHtml(e.payload, payloads.open) : lazyPayloadHtml(e.payload_parts, seq, payloads.href)}</li>`;
}

export const Timeline: FC<{ events: EventView[]; verify: VerifyResult | null; payloads: PayloadMode }> = ({ events, verify, payloads }) => {
  const b = verify?.broken ?? null;
  const brokenText = b === null ? null : (PROBLEM[b.problem] ?? b.problem);
  return toJsx(h`<ol class="timeline" aria-label="Events in order">${events.map((e) => eventHtml(e, b !== null && e.seq === b.seq ? brokenText : null, payloads))}</ol>`);
};

export const Verification: FC<{ verify: VerifyResult | null; error: string | null }> = ({ verify, error }) => {
  if (!verify) return <div class="verify unknown" role="status">{`Chain not verified: ${error ?? 'no answer'}`}</div>;
  const b = verify.broken;
  return (
    <div class={`verify ${verify.ok ? 'ok' : 'broken'}`} role={verify.ok ? 'status' : 'alert'} data-verified={verify.ok ? 'true' : 'false'}>
      {verify.ok ? (
        <p>
          <strong>Chain verified</strong>
          {`: all ${num(verify.checked)} events are intact and in order (each event's hash covers its content and the one before it).`}
        </p>
      ) : (
        <p>
          <strong>Chain broken</strong>
          {`: the first broken link is event #${b?.seq ?? '?'}${b?.eventId ? ` (event id ${b.eventId})` : ''}: ${b ? (PROBLEM[b.problem] ?? b.problem) : 'unknown'}. `}
          {b ? <a href={`#event-${b.seq}`}>{`Go to event #${b.seq}`}</a> : null}
          {b?.detail && !b.problem.startsWith('hash') && !b.problem.startsWith('prev') ? <span>{` (${b.detail})`}</span> : null}
        </p>
      )}
      {verify.gaps.length > 0 ? (
        <ul>
          {verify.gaps.map((g) => (
            <li>{`Event #${g.seq} was refused by the database and kept as a dead letter: ${g.reason ?? 'no reason recorded'}.`}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
};
