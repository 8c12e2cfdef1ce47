// The sensitive_path and exfiltration_url rules: secret locations, and URLs built to carry data out.
import { SEVERITY_RANK, type Hit, type Profile, type Severity } from './injection-types.js';
import { excerptAt } from './injection-unicode.js';

interface Rx {
  signal: string;
  re: RegExp;
  severity: Severity;
}

/** Start of a path token: a mention as a word, not a member access such as `obj.env` or `foo.ssh`. */
const AT = String.raw`(?:^|[\s'"\x60(~/\\=:])`;

const PATHS: readonly Rx[] = [
  { signal: 'ssh_key', re: /\bid_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?:\.pub)?\b|\bauthorized_keys\b/i, severity: 'high' },
  {
    signal: 'cloud_credentials',
    re: /\.aws[/\\](?:credentials|config)\b|\.config[/\\]gcloud\b|\bapplication_default_credentials\.json\b|\.azure[/\\]|\.kube[/\\]config\b|\.docker[/\\]config\.json\b/i,
    severity: 'high',
  },
  {
    signal: 'mcp_config',
    re: /\bclaude_desktop_config\.json\b|\.cursor[/\\]mcp\.json\b|\.vscode[/\\]mcp\.json\b|\bwindsurf[/\\]mcp_config\.json\b/i,
    severity: 'high',
  },
  { signal: 'system_secrets', re: /\/etc\/(?:shadow|gshadow|sudoers)\b|\/proc\/(?:self|\d{1,7})\/environ\b/i, severity: 'high' },
  { signal: 'keyring', re: /\.gnupg\b|\.password-store\b|\bwallet\.dat\b|\.bitcoin[/\\]|\blogin\.keychain(?:-db)?\b|\.git-credentials\b/i, severity: 'high' },
  { signal: 'ssh_dir', re: new RegExp(`${AT}\\.ssh(?![\\w-])|\\bknown_hosts\\b`, 'i'), severity: 'medium' },
  { signal: 'mcp_config', re: new RegExp(`${AT}\\.?mcp\\.json\\b`, 'i'), severity: 'medium' },
  { signal: 'passwd', re: /\/etc\/passwd\b/i, severity: 'medium' },
  { signal: 'dotenv', re: new RegExp(`${AT}\\.env(?:\\.(?:local|production|prod|development|dev|staging|test))?(?![\\w-])`, 'i'), severity: 'medium' },
  { signal: 'credentials_file', re: new RegExp(`${AT}\\.(?:npmrc|pypirc|netrc|pgpass|my\\.cnf)\\b|\\.config[/\\\\]gh[/\\\\]hosts\\.yml\\b`, 'i'), severity: 'medium' },
  { signal: 'shell_history', re: /\.(?:bash|zsh|sh|python|psql|mysql|node_repl)_history\b/i, severity: 'medium' },
];

/** Services whose purpose is to receive arbitrary requests or pastes: a tool definition has no reason to name one. */
const COLLECTOR_HOSTS = [
  'webhook.site', 'webhook.cool', 'requestbin.com', 'requestbin.net', 'requestcatcher.com', 'requestrepo.com', 'pipedream.net',
  'hookbin.com', 'beeceptor.com', 'mockbin.org', 'mockbin.io', 'postb.in', 'ptsv2.com', 'ptsv3.com', 'ngrok.io', 'ngrok.app',
  'ngrok-free.app', 'ngrok.dev', 'ngrok-free.dev', 'trycloudflare.com', 'loca.lt', 'localtunnel.me', 'serveo.net',
  'pastebin.com', 'paste.ee', 'hastebin.com', 'ghostbin.co', 'dpaste.com', 'dpaste.org', '0x0.st', 'transfer.sh', 'termbin.com',
  'burpcollaborator.net', 'oastify.com', 'interact.sh', 'oast.pro', 'oast.live', 'oast.site', 'oast.online', 'oast.fun', 'oast.me',
  'canarytokens.com', 'dnslog.cn', 'ceye.io',
];
const COLLECTOR_PATH = /^(?:(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/|hooks\.slack\.com\/services\/|api\.telegram\.org\/bot)/i;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const BARE_COLLECTOR = new RegExp(`(?<![\\w.-])(?:[a-z0-9-]{1,63}\\.){0,4}(?:${COLLECTOR_HOSTS.map(esc).join('|')})(?![\\w-])`, 'i');

const URL_RE = /\b(?:https?|wss?|ftp):\/\/[^\s"'`)]{1,2048}/gi;
const IMAGE = /!\[[^\]\n]{0,200}\]\(\s*<?\s*(?:(?:https?:)?\/\/|data:)|<img\b[^>]{0,200}?\bsrc\s*=\s*["']?\s*(?:(?:https?:)?\/\/|data:)/i;
const DATA_URI = /\bdata:[a-z]{1,20}\/[a-z0-9.+-]{1,60}(?:;[a-z0-9=.-]{1,40}){0,4},[^\s"'`)]{8}/i;
const PLACEHOLDER = /\{\{?\s*([\w.\s-]{1,40}?)\s*\}?\}|\$\{([^}]{1,40})\}|<([\w\s.-]{1,40})>|\[([A-Za-z_][\w ]{1,40})\]|\$([A-Z_][A-Z0-9_]{1,40})|(%s)/g;
/** Placeholder words that mean "put the conversation or a secret here", unlike `{owner}` or `{query}` in API docs. */
const DATA_WORDS = new Set([
  'data', 'secret', 'secrets', 'password', 'passwd', 'content', 'contents', 'conversation', 'history', 'chat', 'messages', 'prompt',
  'context', 'env', 'credential', 'credentials', 'ssh', 'cookie', 'cookies', 'memory', 'note', 'notes', 'sidenote', 'summary',
  'private', 'personal', 'transcript',
]);
/** Words that make the placeholder an identifier (`{message_id}`, `{content_type}`), not the data itself. */
const ID_WORDS = new Set(['id', 'ids', 'ts', 'type', 'name', 'count', 'number', 'page', 'url', 'uri', 'path', 'format', 'length', 'size', 'version']);

function isDataName(name: string): boolean {
  const words = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((w) => DATA_WORDS.has(w)) && !words.some((w) => ID_WORDS.has(w));
}

function first(text: string, list: readonly Rx[]): Hit | null {
  let best: Hit | null = null;
  for (const p of list) {
    const m = p.re.exec(text);
    if (!m || (best && (best.severity === 'high' || p.severity !== 'high'))) continue;
    const lead = m[0].search(/[^\s'"`(~/\\=:]/);
    const at = m.index + Math.max(0, lead);
    best = { rule: 'sensitive_path', signal: p.signal, severity: p.severity, excerpt: excerptAt(text, at, m[0].length) };
  }
  return best;
}

export function sensitivePath(folded: string): Hit | null {
  return first(folded, PATHS);
}

/** Host and path of a URL without scheme, userinfo or port; lower-cased. */
function hostPath(url: string): { host: string; rest: string } {
  const body = url.replace(/^[a-z]+:\/\//i, '');
  const cut = body.search(/[/?#]/);
  const authority = cut < 0 ? body : body.slice(0, cut);
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '').toLowerCase();
  return { host, rest: cut < 0 ? '' : body.slice(cut) };
}

const isCollector = (host: string) => COLLECTOR_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));

/** A data-named placeholder anywhere in a URL (`?d={conversation}`); `{owner}` or `?q={query}` in API docs is fine. */
function hasDataPlaceholder(rest: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(rest); m; m = PLACEHOLDER.exec(rest)) {
    if (isDataName(m.slice(1).find((g) => g !== undefined) ?? '')) return true;
  }
  return false;
}


/**
 * URLs that carry data out: images a client renders (and so fetches) on its own, data: URIs, known collectors,
 * and URLs with data placeholders. Documentation links (`https://docs.example.com/page`) never match.
 * In tool results, images and data: URIs are ordinary page content and collectors only medium.
 */
export function exfiltrationUrl(folded: string, profile: Profile): Hit | null {
  let best: Hit | null = null;
  const offer = (signal: string, severity: Severity, index: number, length: number) => {
    if (!best || SEVERITY_RANK[severity] > SEVERITY_RANK[best.severity]) {
      best = { rule: 'exfiltration_url', signal, severity, excerpt: excerptAt(folded, index, length) };
    }
  };
  const inResult = profile === 'result';
  if (!inResult) {
    const img = IMAGE.exec(folded);
    if (img) offer('image', 'high', img.index, img[0].length);
    const data = DATA_URI.exec(folded);
    if (data) offer('data_uri', 'medium', data.index, data[0].length);
  }
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(folded), n = 0; m && n < 64; m = URL_RE.exec(folded), n++) {
    // Sentence punctuation and a closing bracket of surrounding prose are not part of the URL.
    const url = m[0].replace(m[0].includes('[') ? /[.,;:!?>]+$/ : /[.,;:!?>\]]+$/, '');
    const { host, rest } = hostPath(url);
    if (isCollector(host) || COLLECTOR_PATH.test(`${host}${rest}`)) offer('collector', inResult ? 'medium' : 'high', m.index, url.length);
    if (hasDataPlaceholder(rest)) offer('url_placeholder', 'high', m.index, url.length);
  }
  URL_RE.lastIndex = 0;
  if (!best || (best as Hit).severity !== 'high') {
    const bare = BARE_COLLECTOR.exec(folded);
    if (bare) offer('collector', inResult ? 'medium' : 'high', bare.index, bare[0].length);
  }
  return best;
}
