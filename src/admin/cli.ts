// The `gateway` CLI for keys, teams, sessions, audit and MCP tool pins: the admin API's services, through the running gateway that holds an embedded database, else on the database.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../log.js';
import { runAuditCommand } from './audit-cli.js';
import { openCliServices } from './cli-services.js';
import { runToolsCommand } from './tools-cli.js';
import type { KeyView } from './keys-service.js';

export const CLI_COMMANDS = new Set(['keys', 'teams', 'sessions', 'audit', 'tools']);

const USAGE = `usage:
  gateway                                   start the gateway
  gateway migrate                           apply the database migrations to DATABASE_URL and exit
  gateway keys create --name N [--team T] [--models P,..] [--tools P,..] [--mcp-servers P,..]
                      [--budget-usd X --budget-period daily|monthly|total] [--rpm N] [--tpm N]
                      [--tool-calls-per-minute N] [--pii off|redact|block|audit] [--expires DATE]
  gateway keys set ID [rule flags as keys create] [--expires DATE|never]   replaces the rules given, keeps the rest
  gateway keys list [--team T] | show ID | rotate ID | revoke ID | expire ID DATE|never
  gateway teams set ID --name N [same rule flags as keys create] | list
  gateway sessions list [--key K] [--team T] [--from DATE] [--to DATE] [--denials] [--limit N] [--offset N]
  gateway sessions show ID [--key K]        the session's timeline   | export ID [--key K]   JSON Lines
  gateway audit verify [--session ID] [--key K]   exits 1 and names the first broken link
  gateway tools list [--status quarantined|rejected|approved|all] [--server S]   pinned MCP tool definitions
  gateway tools approve SERVER TOOL [--hash H] | reject SERVER TOOL [--hash H]   H: the pending hash reviewed
Add --json for machine-readable output. Uses GATEWAY_CONFIG / DATABASE_URL / REDIS_URL like the server.
On the embedded database (no DATABASE_URL), a gateway running on GATEWAY_DATA_DIR is managed through its
admin API (set GATEWAY_ADMIN_KEY); with none running, the CLI locks the directory for the command.`;

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

function policyFromFlags(f: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const out: Record<string, unknown> = {};
  if (s('models')) out.models = list(s('models'));
  if (s('tools')) out.tools = list(s('tools'));
  if (s('mcp-servers')) out.mcpServers = list(s('mcp-servers'));
  if (s('budget-usd')) out.budgets = [{ usd: num(s('budget-usd')), period: s('budget-period') ?? 'monthly' }];
  const rateLimits = { requestsPerMinute: num(s('rpm')), tokensPerMinute: num(s('tpm')), toolCallsPerMinute: num(s('tool-calls-per-minute')) };
  if (Object.values(rateLimits).some((v) => v !== undefined)) out.rateLimits = rateLimits;
  if (s('pii')) out.pii = s('pii');
  return out;
}

function printKey(k: KeyView): string {
  return `${k.id}  ${k.status.padEnd(7)}  ${k.prefix}  ${k.name}${k.team ? `  team=${k.team}` : ''}${k.expiresAt ? `  expires=${k.expiresAt}` : ''}`;
}

export async function runCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const options = {
    name: { type: 'string' }, team: { type: 'string' }, models: { type: 'string' }, tools: { type: 'string' },
    'mcp-servers': { type: 'string' }, 'budget-usd': { type: 'string' }, 'budget-period': { type: 'string' },
    rpm: { type: 'string' }, tpm: { type: 'string' }, 'tool-calls-per-minute': { type: 'string' }, pii: { type: 'string' },
    expires: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    key: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, denials: { type: 'boolean' },
    limit: { type: 'string' }, offset: { type: 'string' }, session: { type: 'string' },
    status: { type: 'string' }, server: { type: 'string' }, hash: { type: 'string' },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: f, positionals: [group, cmd, arg1, arg2] } = parsed;
  if (f.help || !group || !cmd) {
    out(USAGE);
    return f.help ? 0 : 2;
  }
  const show = (v: unknown, text: string) => out(f.json ? JSON.stringify(v, null, 2) : text);
  let services;
  try {
    const { config } = loadConfig();
    services = await openCliServices(config, createLogger('warn'));
  } catch (err) {
    if (err instanceof GatewayError || err instanceof ConfigError) {
      out(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const svc = services.keys;
  try {
    const need = (v: string | undefined, what: string) => {
      if (!v) throw new GatewayError('invalid_request', `missing ${what}\n${USAGE}`);
      return v;
    };
    if (group === 'keys' && cmd === 'create') {
      const r = await svc.createKey({ name: need(f.name, '--name'), team: f.team, expiresAt: f.expires as unknown as Date | undefined, ...policyFromFlags(f) });
      show(r, `${r.key}\n\nThis is the only time the key is shown. Store it now.\n${printKey(r.record)}${r.warning ? `\n\nwarning: ${r.warning}` : ''}`);
    } else if (group === 'keys' && cmd === 'list') {
      const keys = await svc.listKeys(f.team);
      show(keys, keys.map(printKey).join('\n') || '(no keys)');
    } else if (group === 'keys' && cmd === 'show') {
      const k = await svc.getKey(need(arg1, 'key id'));
      show(k, `${printKey(k)}\n${JSON.stringify(k.policy, null, 2)}`);
    } else if (group === 'keys' && cmd === 'rotate') {
      const r = await svc.rotateKey(need(arg1, 'key id'));
      show(r, `${r.key}\n\nThe old key is revoked. This is the only time the new key is shown.\n${printKey(r.record)}`);
    } else if (group === 'keys' && cmd === 'revoke') {
      const k = await svc.revokeKey(need(arg1, 'key id'));
      show(k, printKey(k));
    } else if (group === 'keys' && cmd === 'set') {
      const expires = f.expires === undefined ? {} : { expiresAt: f.expires === 'never' ? null : (f.expires as unknown as Date) };
      const k = await svc.updateKey(need(arg1, 'key id'), { ...policyFromFlags(f), ...expires });
      show(k, `${printKey(k)}\n${JSON.stringify(k.policy, null, 2)}`);
    } else if (group === 'keys' && cmd === 'expire') {
      const when = need(arg2, 'a date or "never"');
      const k = await svc.setExpiry(need(arg1, 'key id'), when === 'never' ? null : new Date(when));
      show(k, printKey(k));
    } else if (group === 'teams' && cmd === 'set') {
      const t = await svc.upsertTeam(need(arg1, 'team id'), { name: need(f.name, '--name'), ...policyFromFlags(f) });
      show(t, `${t.id}  ${t.name}`);
    } else if (group === 'teams' && cmd === 'list') {
      const teams = await svc.listTeams();
      show(teams, teams.map((t) => `${t.id}  ${t.name}`).join('\n') || '(no teams)');
    } else if (group === 'tools') {
      const code = await runToolsCommand(services.tools, cmd, arg1, arg2, f, out);
      if (code >= 0) return code;
      out(`unknown command: ${group} ${cmd}\n${USAGE}`);
      return 2;
    } else {
      const code = await runAuditCommand(services.sessions, group, cmd, arg1, f, out);
      if (code >= 0) return code;
      out(`unknown command: ${group} ${cmd}\n${USAGE}`);
      return 2;
    }
    return 0;
  } catch (err) {
    if (err instanceof GatewayError || err instanceof ConfigError) {
      out(`error: ${err.message}`);
      return 1;
    }
    if (err instanceof Error && err.name === 'ZodError') {
      out(`error: invalid input: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await services.close();
  }
}
