// `gateway tools list|approve|reject`: reviewing pinned MCP tool definitions from a terminal, over the tool pins service.
import { userInfo } from 'node:os';
import { GatewayError } from '../errors.js';
import type { Flags } from './audit-cli.js';
import { ToolPinsQuerySchema, ToolReviewSchema, type ToolPinsService, type ToolPinView } from './tool-pins-service.js';

const brief = (v: unknown): string => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
};

export function toolLines(t: ToolPinView): string[] {
  const head = [
    `${t.server}  ${t.tool}  ${t.status}`,
    `approved=${t.approvedHash ?? '-'}`,
    ...(t.pendingHash ? [`pending=${t.pendingHash}`, `changed=${t.changedAt}`] : []),
    ...(t.configPin ? [`pinned in gateway.yaml=${t.configPin}`] : []),
    ...(t.approvedBy ? [`by=${t.approvedBy}`] : []),
  ].join('  ');
  const changes = t.changes.map((c) => `    ${c.path}: ${'before' in c ? brief(c.before) : '(absent)'} → ${'after' in c ? brief(c.after) : '(removed)'}`);
  return [head, ...changes];
}

/** Who approves from the terminal, as recorded in the pins table. */
function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Runs one `tools` command; returns the exit code, or -1 when the command is not one of these. */
export async function runToolsCommand(svc: ToolPinsService, cmd: string, server: string | undefined, tool: string | undefined, f: Flags, out: (s: string) => void): Promise<number> {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const show = (v: unknown, text: string) => out(f.json ? JSON.stringify(v, null, 2) : text);
  if (cmd === 'list') {
    const q = ToolPinsQuerySchema.safeParse({ status: s('status'), server: s('server') });
    if (!q.success) throw new GatewayError('invalid_request', `--${String(q.error.issues[0]?.path[0] ?? 'status')}: ${q.error.issues[0]?.message ?? 'invalid'}`);
    const rows = await svc.list(q.data);
    show(rows, rows.flatMap(toolLines).join('\n') || '(no pinned tools)');
    return 0;
  }
  if (cmd !== 'approve' && cmd !== 'reject') return -1;
  if (!server || !tool) throw new GatewayError('invalid_request', `missing server id and tool name: gateway tools ${cmd} SERVER TOOL [--hash H]`);
  const parsed = ToolReviewSchema.safeParse({ expectedHash: s('hash'), ...(cmd === 'approve' ? { by: cliUser() } : {}) });
  if (!parsed.success) throw new GatewayError('invalid_request', `--hash: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const review = parsed.data;
  const t = cmd === 'approve' ? await svc.approve(server, tool, review) : await svc.reject(server, tool, review);
  show(t, toolLines(t).join('\n'));
  return 0;
}
