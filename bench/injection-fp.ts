// `npx tsx bench/injection-fp.ts [--write] [--defs-dir DIR [--defs-label TEXT]]`: injection-scan false positives on real MCP servers, recall on the labelled set.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { definitionStats, scanDefinition, scanServerInstructions, scanText, type Finding } from '../src/mcp/guard/injection-scan.js';
import { INJECTION_RULES } from '../src/mcp/guard/injection-types.js';
import { CLEAN, POISONED } from '../test/fixtures/injection-corpus.js';
import { listPublicServer, PUBLIC_SERVERS, type ServerListing } from '../test/helpers/public-mcp-servers.js';

const root = new URL('../', import.meta.url);
const arg = (flag: string) => { const i = process.argv.indexOf(flag); return i >= 0 ? process.argv[i + 1] : undefined; };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const show = (f: Finding & { item: string }) => `| ${f.item} | ${f.rule} | ${f.severity} | \`${f.path}\` | ${f.excerpt.replace(/\|/g, '\\|')} |`;
const md: string[] = [];

// 1. The public reference servers, started over stdio and listed with the SDK client.
const listings: ServerListing[] = [];
for (const s of PUBLIC_SERVERS) listings.push(await listPublicServer(s));
const others = (id: string) => listings.filter((l) => l.id !== id).flatMap((l) => l.definitions.filter((d) => d.kind === 'tool').flatMap((d) => [d.name, `${l.id}__${d.name}`]));

const rows: string[] = [];
const serverFindings: Array<Finding & { item: string }> = [];
let totalDefs = 0;
for (const l of listings) {
  const context = { otherToolNames: others(l.id) };
  const kinds = { tool: 0, prompt: 0, resource: 0, resourceTemplate: 0 };
  let strings = l.instructions ? 1 : 0;
  let chars = l.instructions?.length ?? 0;
  const found: Array<Finding & { item: string }> = scanServerInstructions(l.instructions ?? '', context).map((f) => ({ item: `${l.id} instructions`, ...f }));
  for (const d of l.definitions) {
    kinds[d.kind]++;
    const st = definitionStats(d.kind, d.item);
    strings += st.strings;
    chars += st.chars;
    found.push(...scanDefinition(d.kind, d.item, context).map((f) => ({ item: `${l.id} ${d.kind} ${d.name}`, ...f })));
  }
  totalDefs += l.definitions.length;
  serverFindings.push(...found);
  const pkg = PUBLIC_SERVERS.find((s) => s.id === l.id)!.package;
  const version = JSON.parse(readFileSync(new URL(`node_modules/${pkg}/package.json`, root), 'utf8')).version as string;
  rows.push(`| ${pkg}@${version} | ${kinds.tool} | ${kinds.prompt} | ${kinds.resource} | ${kinds.resourceTemplate} | ${l.instructions ? 'yes' : 'no'} | ${strings} | ${chars} | ${found.length} |`);
  console.log(`${l.id.padEnd(12)} definitions ${l.definitions.length}  strings ${strings}  findings ${found.length}`);
}

// Cost on the listing path: every definition of the three servers, scanned 200 times.
const all = listings.flatMap((l) => l.definitions);
const t0 = cpuMs();
for (let i = 0; i < 200; i++) for (const d of all) scanDefinition(d.kind, d.item, { otherToolNames: others('') });
const perDef = ((cpuMs() - t0) * 1000) / (200 * all.length);

md.push(
  '## Public reference servers\n',
  'Each server runs from its devDependency (`node node_modules/@modelcontextprotocol/server-*/dist/index.js`; filesystem gets a fresh temp dir, memory a temp `MEMORY_FILE_PATH`), ' +
    'an MCP SDK `Client` lists tools, prompts, resources and resource templates over stdio (following `nextCursor`), and every definition and the server `instructions` are scanned. ' +
    'cross_tool_reference is live: each server is scanned with the other two servers\' tool names, raw and as `<server>__<tool>`.\n',
  '| server | tools | prompts | resources | templates | instructions | strings scanned | characters | findings |',
  '|---|---:|---:|---:|---:|---|---:|---:|---:|',
  ...rows,
  '',
  serverFindings.length === 0
    ? `**${serverFindings.length} findings** on ${totalDefs} definitions. Scanning costs about ${perDef.toFixed(0)} µs of CPU per definition (mean over these ${all.length}, 200 rounds).\n`
    : `**${serverFindings.length} findings**:\n\n| item | rule | severity | path | excerpt |\n|---|---|---|---|---|\n${serverFindings.map(show).join('\n')}\n`,
);

// 2. Recall on the labelled poisoned set, per rule; and the clean set.
const caught = new Map<string, { hit: number; total: number }>();
const missed: string[] = [];
for (const c of POISONED) {
  const found = scanDefinition(c.kind, c.item, c.context);
  for (const e of c.expect) {
    const r = caught.get(e.rule) ?? { hit: 0, total: 0 };
    r.total++;
    if (found.some((f) => f.rule === e.rule && f.path === e.path)) r.hit++;
    else missed.push(`${c.name}: ${e.rule} at ${e.path}`);
    caught.set(e.rule, r);
  }
}
const cleanFindings = CLEAN.flatMap((t) => scanDefinition('tool', { name: 't', description: t }).map((f) => ({ item: t.slice(0, 40), ...f })));
md.push(
  '## Recall on the labelled poisoned set\n',
  `${POISONED.length} poisoned definitions written for this test (test/fixtures/injection-corpus.ts): Invariant-style \`<IMPORTANT>\` block, tag-character smuggling, ` +
    'zero-width split keywords, bidi override, ANSI escape, variation-selector run, instruction in a schema enum, private key as a schema default, ' +
    'credentials in a nested outputSchema, markdown-image exfiltration, collector URL, data: URI, cross-server shadowing of `send_email`, rug-pull rewrite, ' +
    'prompt argument and resource cases, fullwidth letters, covert forwarding, a note to the model, an over-long description. ' +
    'A hit needs the expected rule at the expected JSON path.\n',
  '| rule | caught / expected |',
  '|---|---:|',
  ...INJECTION_RULES.filter((r) => caught.has(r)).map((r) => `| ${r} | ${caught.get(r)!.hit} / ${caught.get(r)!.total} |`),
  '',
  missed.length ? `Missed:\n\n${missed.map((m) => `- ${m}`).join('\n')}\n` : 'Nothing missed.\n',
  `Clean set: ${CLEAN.length} benign descriptions close to the rules (e.g. "You must provide an absolute path", "succeed silently", API URL templates, emoji ZWJ, Persian ZWNJ): ` +
    `**${cleanFindings.length} findings**.\n`,
);

// 3. Natural prose nobody wrote for this: every README.md in node_modules (depth ≤ 3), paragraph by paragraph as if each were a description, and whole as a tool result.
function readmes(dir: string, out: string[], depth = 0): string[] {
  if (depth > 3) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) readmes(p, out, depth + 1);
    else if (st && name.toLowerCase() === 'readme.md' && st.size < 500_000) out.push(p);
  }
  return out;
}
const files = readmes(new URL('node_modules', root).pathname, []);
const bySignal = new Map<string, number>();
let paragraphs = 0;
let resultFindings = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  resultFindings += scanText(text, 'result').filter((x) => x.severity !== 'low').length;
  for (const p of text.split(/\n\s*\n/)) {
    paragraphs++;
    for (const x of scanDefinition('tool', { name: 'x', description: p })) bySignal.set(`${x.rule} (${x.signal}, ${x.severity})`, (bySignal.get(`${x.rule} (${x.signal}, ${x.severity})`) ?? 0) + 1);
  }
}
md.push(
  '## Natural prose: installed READMEs\n',
  `${files.length} README.md files from node_modules, split into ${paragraphs} paragraphs, each scanned as a tool description. ` +
    'Markdown images, data: URIs and MCP config paths are *meant* to fire in a description (a README has reasons to show them, a tool description does not); ' +
    'what matters is that model_instruction and hidden_unicode stay silent on ordinary technical prose.\n',
  '| rule (signal, severity) | paragraphs |',
  '|---|---:|',
  ...[...bySignal].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${v} |`),
  '',
  `The same files scanned whole as tool results (profile \`result\`): **${resultFindings}** medium/high findings.\n`,
);

// 4. Optional: a directory of JSON tool definitions (e.g. github/github-mcp-server pkg/github/__toolsnaps__/*.snap).
const defsDir = arg('--defs-dir');
if (defsDir) {
  const items = readdirSync(defsDir).sort().map((f) => JSON.parse(readFileSync(join(defsDir, f), 'utf8')) as Record<string, unknown>);
  const found = items.flatMap((it) => scanDefinition('tool', it, { otherToolNames: others('') }).map((f) => ({ item: String(it.name), ...f })));
  const strings = items.reduce((n, it) => n + definitionStats('tool', it).strings, 0);
  md.push(`## Extra definitions: ${arg('--defs-label') ?? basename(defsDir)}\n`, `${items.length} tool definitions (JSON files from \`--defs-dir\`, scanned with the three servers' tool names as context), ${strings} strings: **${found.length} findings**.${found.length ? `\n\n| item | rule | severity | path | excerpt |\n|---|---|---|---|---|\n${found.map(show).join('\n')}` : ''}\n`,
    'A directory like this comes from a checkout of github/github-mcp-server: ' +
      '`for f in pkg/github/__toolsnaps__/*.snap; do cp "$f" DIR/$(basename "$f" .snap).json; done` (each snapshot is one tool definition as the server lists it).\n');
}

md.push(
  '## Tuning notes\n',
  'Misfires found while building the rules, each fixed and kept as a regression case: "from now on, all distances are divided by 128" ' +
    '(a pako comment, read as a tool result) no longer counts as a mode switch: "from now on" needs "you"/"ignore" (high) or an imperative ' +
    'like "always"/"respond" (medium); `<|end|>` in an `ai` changelog: bare chat-template tokens count only in definitions, results need a ' +
    'role-opening one (`<|im_start|>system`); `?q={query}` / `{message_ts}` URL templates: only data-named placeholders (`{conversation}`, ' +
    '`{secret}`) count, and `_id`/`_ts`/`_type` make a placeholder an identifier; lower-case `system:` is a YAML key, so only upper-case ' +
    '`SYSTEM:`/`ASSISTANT:`, `### system:` and `\\n\\nHuman:` count as role markers; "succeed silently" and "without warning" ' +
    '(server-filesystem) stay clean because covert-action needs a sending verb and secrecy needs "the user".\n',
  'Known limits: paraphrased instructions with none of the shapes above ("the maths is easier if you first look at the config file") pass; ' +
    'the scanner is a tripwire for the published attack shapes, not a classifier. Tool results are opt-in (`results: true`) and scanned ' +
    'with a softer profile (images, data: URIs, role labels, bare template tokens and stray zero-width characters do not block).\n',
);

const report =
  `# Injection scan: false positives and recall\n\nProduced by \`npx tsx bench/injection-fp.ts ${process.argv.slice(2).map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\` on ${new Date().toISOString().slice(0, 10)} ` +
  `(Node ${process.version}, ${process.platform}/${process.arch}). Scanner: src/mcp/guard/injection-scan.ts.\n\n${md.join('\n')}`;
console.log(`\n${report}`);
if (process.argv.includes('--write')) {
  writeFileSync(new URL('bench/INJECTION.md', root), report);
  console.log('wrote bench/INJECTION.md');
}
