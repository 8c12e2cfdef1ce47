// /ui/tools: pinned MCP tool definitions, and approving or rejecting a held-back one, through the admin API.
import type { Context, Hono } from 'hono';
import { seg } from './admin-client.js';
import type { ToolPinView } from './api-types.js';
import { field, type Form } from './forms.js';
import { render } from './layout.js';
import { ToolsPage } from './tools-page.js';
import type { UiEnv } from './ui-env.js';

type Ctx = Context<UiEnv>;

/** Fixed texts for the notice after a redirect: the query names one, never free text. */
const DONE: Record<string, string> = { approved: 'approved: agents can use it again', rejected: 'rejected: it stays hidden' };

async function toolsPage(c: Ctx, error?: string, status = 200): Promise<Response> {
  const r = await c.var.ui.admin.get<{ data: ToolPinView[] }>('/admin/mcp/tools', { status: 'all' });
  const done = DONE[c.req.query('done') ?? ''];
  const tool = c.req.query('tool');
  const notice = done && !error ? `${tool ? `${tool}: ` : ''}${done}.` : undefined;
  const shown = [error, r.ok ? null : r.message].filter(Boolean).join(' ') || undefined;
  return render(c, <ToolsPage csrf={c.var.ui.csrf} tools={r.ok ? r.data.data : []} notice={notice} error={shown} />, status);
}

export function toolsRoutes(app: Hono<UiEnv>): void {
  app.get('/tools', (c) => toolsPage(c));

  for (const verb of ['approve', 'reject'] as const) {
    app.post(`/tools/${verb}`, async (c) => {
      // The guard parsed the body already (for the CSRF token); Hono hands back that parse.
      const f = (await c.req.parseBody()) as Form;
      const [server, tool, hash] = [field(f, 'server'), field(f, 'tool'), field(f, 'hash')];
      if (!server || !tool) return toolsPage(c, 'Which tool? The form named no server or tool.', 400);
      const body = { ...(hash ? { expectedHash: hash } : {}), ...(verb === 'approve' ? { by: 'console' } : {}) };
      const r = await c.var.ui.admin.send<ToolPinView>('POST', `/admin/mcp/tools/${seg(server)}/${seg(tool)}/${verb}`, body);
      if (!r.ok) return toolsPage(c, r.message, r.status);
      return c.redirect(`/ui/tools?done=${verb === 'approve' ? 'approved' : 'rejected'}&tool=${encodeURIComponent(`${server} ${tool}`)}`, 303);
    });
  }
}
