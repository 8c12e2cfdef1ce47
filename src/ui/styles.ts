// The console's stylesheet (served as /ui/assets/console.css): plain CSS, readable contrast, and a print layout for incident reports.

export const CONSOLE_CSS = String.raw`
:root {
  --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --accent: #0b57d0;
  --ok: #116329; --ok-bg: #dafbe1; --bad: #a40e26; --bad-bg: #ffebe9; --warn: #7a4d00; --warn-bg: #fff8c5;
  --info: #0a3069; --info-bg: #ddf4ff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.mono, code, pre, textarea.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: 0.5rem; z-index: 10; }
.skip:focus { left: 0.5rem; }

.top { display: flex; align-items: center; gap: 1.5rem; padding: 0.6rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
.brand { font-weight: 700; color: var(--fg); text-decoration: none; }
.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
.top nav a { text-decoration: none; padding: 0.25rem 0.1rem; color: var(--fg); }
.top nav a[aria-current="page"] { border-bottom: 3px solid var(--accent); font-weight: 600; }
.logout { margin-left: auto; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; word-break: break-all; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.75rem; }

table { border-collapse: collapse; width: 100%; font-size: 0.93rem; }
caption { text-align: left; font-weight: 600; padding: 0.4rem 0; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: normal; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
.empty { color: var(--muted); font-style: italic; }

.badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; margin-right: 0.25rem; border: 1px solid transparent; white-space: nowrap; }
.badge.ok, .badge.status-active, .badge.status-approved, .badge.status-ready, .badge.breaker-closed { color: var(--ok); background: var(--ok-bg); }
.badge.denied, .badge.error, .badge.status-revoked, .badge.status-rejected, .badge.status-down, .badge.breaker-open { color: var(--bad); background: var(--bad-bg); }
.badge.redacted, .badge.flagged, .badge.status-expired, .badge.status-quarantined, .badge.status-connecting, .badge.breaker-half-open { color: var(--warn); background: var(--warn-bg); }
.badge.status-disabled { color: var(--muted); background: var(--panel); border-color: var(--line); }

.notice { padding: 0.6rem 0.9rem; border-radius: 6px; margin: 0.75rem 0; border: 1px solid; }
.notice.ok { color: var(--ok); background: var(--ok-bg); border-color: #4ac26b; }
.notice.error { color: var(--bad); background: var(--bad-bg); border-color: #ff8182; }
.notice.warn { color: var(--warn); background: var(--warn-bg); border-color: #d4a72c; }

form.inline { display: inline-flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin: 0 0 1rem; }
td.actions form.inline { margin: 0 0.25rem 0 0; }
.filters, form.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 0.75rem 1rem; align-items: end; margin: 0 0 1.25rem; }
.field { display: flex; flex-direction: column; gap: 0.25rem; }
.field.wide { grid-column: 1 / -1; }
.actions { display: flex; gap: 0.75rem; align-items: center; }
label { font-weight: 600; font-size: 0.9rem; }
input, select, textarea { font: inherit; padding: 0.4rem 0.5rem; border: 1px solid #8c959f; border-radius: 6px; background: var(--bg); color: var(--fg); min-width: 0; }
textarea { width: 100%; }
.hint { color: var(--muted); font-size: 0.85rem; margin: 0.2rem 0 0; }
button, .button { font: inherit; font-weight: 600; padding: 0.4rem 0.9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: var(--bg); color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.small { padding: 0.15rem 0.6rem; font-size: 0.85rem; }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; font-weight: normal; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; background: var(--bg); }
.card.narrow { max-width: 28rem; display: flex; flex-direction: column; gap: 0.5rem; }
h2.flush { margin-top: 0; }
.card pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; }
details.card > summary { cursor: pointer; font-weight: 600; }
details.card[open] > summary { margin-bottom: 0.75rem; }
.secret { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.secret input { flex: 1 1 30rem; }
.pager { display: flex; justify-content: space-between; align-items: center; margin: 0.75rem 0; }
.tabs { display: flex; gap: 0.25rem; margin: 0 0 0.75rem; flex-wrap: wrap; }
.tabs a { padding: 0.3rem 0.75rem; border: 1px solid var(--line); border-radius: 6px; text-decoration: none; }
.tabs a[aria-current="page"] { background: var(--accent); color: #fff; border-color: var(--accent); }
.toolbar { display: flex; gap: 0.75rem; flex-wrap: wrap; margin: 1rem 0; }

.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 0.5rem 1.25rem; margin: 0 0 1rem; }
.summary dt, .fields dt { color: var(--muted); font-size: 0.8rem; }
.summary dd, .fields dd { margin: 0; word-break: break-word; }
.verify { padding: 0.75rem 1rem; border-radius: 8px; border: 1px solid; margin: 1rem 0; }
.verify p { margin: 0; }
.verify.ok { color: var(--ok); background: var(--ok-bg); border-color: #4ac26b; }
.verify.broken { color: var(--bad); background: var(--bad-bg); border-color: #ff8182; }
.verify.unknown { color: var(--warn); background: var(--warn-bg); border-color: #d4a72c; }
.verify a { color: inherit; font-weight: 600; }

.timeline { list-style: none; margin: 0; padding: 0; border-left: 3px solid var(--line); }
.event { position: relative; margin: 0 0 0.9rem 1rem; padding: 0.6rem 0.8rem; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); }
.event::before { content: ""; position: absolute; left: -1.45rem; top: 0.95rem; width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--line); }
.event.policy_decision { background: var(--panel); }
.event[data-decision="denied"] { border-color: #ff8182; }
.event[data-decision="denied"]::before { background: var(--bad); }
.event[data-decision="redacted"]::before { background: #d4a72c; }
.event.broken { border: 2px solid var(--bad); box-shadow: 0 0 0 3px var(--bad-bg); }
.broken-note { color: var(--bad); font-weight: 600; margin: 0.4rem 0; }
.event-head { display: flex; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; }
.event-head .seq { font-weight: 700; font-variant-numeric: tabular-nums; }
.event-head .kind { font-weight: 600; }
.event-head .subject { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; word-break: break-all; }
.event-head time { margin-left: auto; font-size: 0.85rem; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 0.35rem 1rem; margin: 0.5rem 0 0; }
.payload details { margin-top: 0.4rem; }
.payload summary { cursor: pointer; color: var(--accent); font-size: 0.9rem; }
.payload pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; max-height: 32rem; white-space: pre-wrap; word-break: break-word; }

.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; min-width: 0; }
.chart figcaption { font-weight: 600; margin-bottom: 0.5rem; }
.chart-canvas { min-height: 120px; }
meter { width: 8rem; }

@media print {
  .top, .skip, .no-print, .toolbar, form, .pager { display: none !important; }
  body, :root { font-size: 11pt; background: #fff; }
  main { padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  .event { break-inside: avoid; }
  .payload pre { max-height: none; overflow: visible; }
  .payload details > summary { list-style: none; }
}
`;
