// The CLI's services over a running gateway's admin API: what it uses when that gateway holds the embedded database.
import { ERROR_CODES, GatewayError, type ErrorCode } from '../errors.js';
import type { SessionsService, TimelineOptions } from '../tracing/sessions-service.js';
import type { KeysService } from './keys-service.js';
import type { ToolPinsService, ToolPinView } from './tool-pins-service.js';

export interface RemoteTarget {
  /** The gateway's base URL; the admin API is under `/admin`. */
  url: string;
  adminKey: string;
  /** Who we are talking to, for error messages ("a gateway (pid 12, http://…) holding ./.gateway"). */
  describe: string;
}

type Query = Record<string, string | number | boolean | Date | undefined>;

function qs(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, v instanceof Date ? v.toISOString() : String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const seg = (id: string) => encodeURIComponent(id);

/** The gateway's error, as the CLI prints it; unknown codes keep their status. */
async function failure(res: Response, t: RemoteTarget): Promise<GatewayError> {
  let message = `HTTP ${res.status}`;
  let code: ErrorCode = 'upstream_error';
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code && body.error.code in ERROR_CODES) code = body.error.code as ErrorCode;
  } catch {
    // not JSON: keep the status
  }
  if (res.status === 404 && /admin API is off/i.test(message)) {
    message = `${t.describe} runs without GATEWAY_ADMIN_KEY, so its admin API is off and the CLI cannot manage it: restart it with GATEWAY_ADMIN_KEY set, or stop it to use the CLI on the directory`;
  } else if (res.status === 401) {
    message = `${t.describe} refused GATEWAY_ADMIN_KEY (${message}): set it to the gateway's admin key`;
  }
  return new GatewayError(code, message, { status: res.status });
}

async function call(t: RemoteTarget, method: string, path: string, body?: unknown): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${t.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${t.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new GatewayError('upstream_unavailable', `cannot reach ${t.describe} (${why}); if that process is gone, remove its lock file and retry`);
  }
  if (!res.ok) throw await failure(res, t);
  return res;
}

async function json<T>(t: RemoteTarget, method: string, path: string, body?: unknown): Promise<T> {
  return (await (await call(t, method, path, body)).json()) as T;
}

/** KeysService over `/admin/keys` and `/admin/teams`: results are the gateway's JSON, passed through. */
export function remoteKeysService(t: RemoteTarget): KeysService {
  return {
    createKey: (input) => json(t, 'POST', '/keys', input),
    rotateKey: (id) => json(t, 'POST', `/keys/${seg(id)}/rotate`),
    revokeKey: (id) => json(t, 'POST', `/keys/${seg(id)}/revoke`),
    setExpiry: (id, expiresAt) => json(t, 'PATCH', `/keys/${seg(id)}`, { expiresAt }),
    updateKey: (id, input) => json(t, 'PATCH', `/keys/${seg(id)}`, input),
    listKeys: async (team) => (await json<{ data: Awaited<ReturnType<KeysService['listKeys']>> }>(t, 'GET', `/keys${qs({ team })}`)).data,
    getKey: (id) => json(t, 'GET', `/keys/${seg(id)}`),
    upsertTeam: (id, input) => json(t, 'PUT', `/teams/${seg(id)}`, input),
    listTeams: async () => (await json<{ data: Awaited<ReturnType<KeysService['listTeams']>> }>(t, 'GET', '/teams')).data,
  };
}

/** SessionsService over `/admin/sessions` and `/admin/audit/verify`; verify results flow through untouched, new fields included. */
export function remoteSessionsService(t: RemoteTarget): SessionsService {
  type Timeline = Awaited<ReturnType<SessionsService['timeline']>>;
  const timeline = (id: string, key?: string, opts?: TimelineOptions) =>
    json<Timeline>(t, 'GET', `/sessions/${seg(id)}${qs({ key, verify: opts?.verify ? 'true' : undefined, payloads: opts?.payloads === false ? 'false' : undefined })}`);
  return {
    list: (f) => json(t, 'GET', `/sessions${qs(f)}`),
    get: async (id, key) => (await timeline(id, key, { payloads: false })).session,
    timeline,
    event: (id, seq, key) => json(t, 'GET', `/sessions/${seg(id)}/events/${seq}${qs({ key })}`),
    async *exportLines(id, key) {
      const res = await call(t, 'GET', `/sessions/${seg(id)}/export${qs({ key })}`);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          yield buf.slice(0, nl + 1);
          buf = buf.slice(nl + 1);
        }
      }
      buf += decoder.decode();
      if (buf) yield buf;
    },
    verify: (id, key) => json(t, 'GET', `/audit/verify${qs({ session: id, key })}`),
    // The API has no maxBroken: the gateway applies its own bound.
    verifyAll: (key) => json(t, 'GET', `/audit/verify${qs({ key })}`),
  };
}

/** ToolPinsService over `/admin/mcp/tools`: the approval is made by the gateway, which tells every replica. */
export function remoteToolPinsService(t: RemoteTarget): ToolPinsService {
  const path = (server: string, tool: string, verb: string) => `/mcp/tools/${seg(server)}/${seg(tool)}/${verb}`;
  return {
    list: async (q) => (await json<{ data: ToolPinView[] }>(t, 'GET', `/mcp/tools${qs(q)}`)).data,
    approve: (server, tool, r) => json(t, 'POST', path(server, tool, 'approve'), r),
    reject: (server, tool, r) => json(t, 'POST', path(server, tool, 'reject'), r),
  };
}
