// `gateway sessions list|show|export` and `gateway audit verify`: readable terminal views over the sessions service.
import { GatewayError } from '../errors.js';
import { SessionQuerySchema, type EventView, type SessionsService, type SessionView, type VerifyAllResult, type VerifyResult } from '../tracing/sessions-service.js';

export type Flags = Record<string, string | boolean | undefined>;

const usd = (micros: number | null | undefined) => (micros === null || micros === undefined ? '-' : `$${(micros / 1e6).toFixed(6)}`);
const str = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));

function sessionLine(s: SessionView): string {
  const client = s.client.name ? `${s.client.name}${s.client.version ? `/${s.client.version}` : ''}` : (s.client.userAgent ?? '-');
  return [
    s.id.padEnd(36),
    `key=${str(s.key)}`,
    `team=${str(s.team)}`,
    `client=${client}`,
    `last=${s.lastSeen}`,
    `calls=${s.totals.calls}`,
    `tokens=${s.totals.inputTokens}/${s.totals.outputTokens}`,
    `cost=${usd(s.totals.costMicros)}`,
    `denials=${s.totals.denials}`,
    `redactions=${s.totals.redactions}`,
  ].join('  ');
}

/** What an event was about: the model, the tool, the resource or the prompt. */
export function target(e: EventView): string {
  const server = e.mcp_server ? `${String(e.mcp_server)}:` : '';
  if (e['gen_ai.tool.name']) return `${server}${String(e['gen_ai.tool.name'])}`;
  if (e['mcp.resource.uri']) return `${server}${String(e['mcp.resource.uri'])}`;
  if (e['gen_ai.prompt.name']) return `${server}${String(e['gen_ai.prompt.name'])}`;
  const req = str(e['gen_ai.request.model']);
  const served = e['gen_ai.response.model'] && e['gen_ai.provider.name'] ? ` → ${String(e['gen_ai.provider.name'])}/${String(e['gen_ai.response.model'])}` : '';
  return `${req}${served}`;
}

export function formatTimeline(session: SessionView, events: EventView[]): string {
  const head = `session ${session.id}  key=${str(session.key)}  team=${str(session.team)}  ${session.firstSeen} → ${session.lastSeen}\n` +
    `calls=${session.totals.calls}  tokens in/out=${session.totals.inputTokens}/${session.totals.outputTokens}  cost=${usd(session.totals.costMicros)}  denials=${session.totals.denials}  redactions=${session.totals.redactions}\n`;
  const cols = ['TIME', 'SEQ', 'KIND', 'TARGET', 'DECISION', 'STATUS', 'TOKENS', 'COST', 'NOTE'];
  const rows = events.map((e) => {
    const isDecision = e.kind === 'policy_decision';
    const tokens = e['gen_ai.usage.input_tokens'] === null && e['gen_ai.usage.output_tokens'] === null ? '-' : `${str(e['gen_ai.usage.input_tokens'])}/${str(e['gen_ai.usage.output_tokens'])}`;
    const note = isDecision ? `${str(e.rule)}: ${str(e.reason)}` : [e.error_code, e.stream ? 'stream' : null, e.latency_ms !== null ? `${String(e.latency_ms)}ms` : null].filter(Boolean).join(' ');
    const findings = e.findings && typeof e.findings === 'object' ? ` pii=${Object.entries(e.findings).map(([k, v]) => `${k}:${String(v)}`).join(',')}` : '';
    return [String(e.time).replace('T', ' ').replace('Z', ''), String(e.seq), String(e.kind), target(e), str(e.decision), str(e.status), tokens, usd(e.cost_micros as number | null), `${note}${findings}`];
  });
  const widths = cols.map((c, i) => Math.min(48, Math.max(c.length, ...rows.map((r) => r[i]!.length))));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ');
  return `${head}\n${[line(cols), ...rows.map(line)].join('\n')}${rows.length ? '' : '\n(no events)'}`;
}

/** `audit verify` on a store with no sessions and no checkpoint: nothing was verified, so not a plain 0. */
export const EXIT_EMPTY = 3;

const brokenLine = (b: VerifyResult) =>
  `BROKEN session ${b.session} (key ${str(b.key)}): first broken link at seq ${b.broken?.seq} (row id ${str(b.broken?.id)}): ${b.broken?.problem}: ${b.broken?.detail}`;
// Gaps are links, not breaks: events the database refused, each kept as a dead letter.
const gapLines = (gaps: VerifyResult['gaps']) => gaps.map((g) => `gap at seq ${g.seq} (event ${g.eventId}): ${g.reason ?? ''}`);

export function verifyAllText(r: VerifyAllResult): string {
  const cp = r.checkpoint;
  const lines = r.broken.map(brokenLine);
  for (const p of cp?.problems ?? []) lines.push(`BROKEN checkpoint: ${p}`);
  for (const f of cp?.findings ?? []) lines.push(`BROKEN session ${f.session} (key ${str(f.key)}): ${f.problem}: ${f.detail}`);
  if (r.ok && r.empty) lines.push(`ok, but the store is empty (0 sessions${cp?.checkpoint ? '' : ', no checkpoint'}): nothing was verified`);
  else if (r.ok) {
    const against = cp?.checkpoint ? `, and match signed checkpoint #${cp.checkpoint.id} of ${cp.checkpoint.time} (${cp.checkpointSessions} sessions${cp.expired ? `, ${cp.expired} since expired by retention` : ''})` : '';
    lines.push(`ok: ${r.sessions} sessions, every chain intact${against}`);
  }
  for (const w of r.warnings) if (!(r.empty && w.startsWith('the store is empty'))) lines.push(`warning: ${w}`);
  for (const g of r.gaps) lines.push(`gap in session ${g.session} at seq ${g.seq} (event ${g.eventId}): ${g.reason ?? ''}`);
  return lines.join('\n');
}

/** Runs one sessions/audit command; returns the exit code. */
export async function runAuditCommand(svc: SessionsService, group: string, cmd: string, arg: string | undefined, f: Flags, out: (s: string) => void): Promise<number> {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const show = (v: unknown, text: string) => out(f.json ? JSON.stringify(v, null, 2) : text);
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new GatewayError('invalid_request', `missing ${what}`);
    return v;
  };
  if (group === 'sessions' && cmd === 'list') {
    const q = SessionQuerySchema.parse({ key: s('key'), team: s('team'), from: s('from'), to: s('to'), hasDenials: f.denials ? 'true' : undefined, limit: s('limit'), offset: s('offset') });
    const r = await svc.list(q);
    show(r, r.data.map(sessionLine).join('\n') || '(no sessions)');
    return 0;
  }
  if (group === 'sessions' && cmd === 'show') {
    const t = await svc.timeline(need(arg, 'session id'), s('key'));
    show(t, formatTimeline(t.session, t.events));
    return 0;
  }
  if (group === 'sessions' && cmd === 'export') {
    for await (const l of svc.exportLines(need(arg, 'session id'), s('key'))) out(l.trimEnd());
    return 0;
  }
  if (group === 'audit' && cmd === 'verify') {
    const id = s('session');
    if (id) {
      const r = await svc.verify(id, s('key'));
      const text = r.ok ? `ok: session ${id}, ${r.checked} events, chain intact` : brokenLine(r);
      show(r, [text, ...gapLines(r.gaps)].join('\n'));
      return r.ok ? 0 : 1;
    }
    const r = await svc.verifyAll(s('key'));
    show(r, verifyAllText(r));
    return r.ok ? (r.empty ? EXIT_EMPTY : 0) : 1;
  }
  return -1;
}
