// The console's only data source: the admin API, called in-process through the app so the CLI and the console never disagree.

/** Sends a request through the gateway's own app (`app.request`), never over the network. */
export type AdminFetch = (path: string, init: RequestInit) => Response | Promise<Response>;

export type AdminResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; message: string; param: string | null };

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface AdminClient {
  get<T>(path: string, query?: Query): Promise<AdminResult<T>>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<AdminResult<T>>;
  /** The raw response (streams such as the JSON Lines export pass through untouched). */
  raw(path: string, query?: Query): Promise<Response>;
}

/** Empty values are left out, so an empty filter field means "no filter", not `key=`. */
export function withQuery(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A path segment for an id the user typed or the API returned. */
export const seg = (id: string): string => encodeURIComponent(id);

async function result<T>(res: Response): Promise<AdminResult<T>> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    body = null;
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const err = (body as { error?: { message?: unknown; param?: unknown } } | null)?.error;
  const message = typeof err?.message === 'string' ? err.message : `The admin API answered ${res.status}.`;
  return { ok: false, status: res.status, message, param: typeof err?.param === 'string' ? err.param : null };
}

export function createAdminClient(fetch: AdminFetch, adminKey: string): AdminClient {
  const headers = { authorization: `Bearer ${adminKey}`, accept: 'application/json' };
  return {
    get: async (path, query) => result(await fetch(withQuery(path, query), { method: 'GET', headers })),
    async send(method, path, body) {
      const init: RequestInit = body === undefined ? { method, headers } : { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      return result(await fetch(path, init));
    },
    raw: async (path, query) => fetch(withQuery(path, query), { method: 'GET', headers: { authorization: headers.authorization } }),
  };
}
