// Which call a server→client request belongs to: the POST whose SSE response stream carried it (Streamable HTTP).
type RpcId = string | number;

/** Per connection: server request id → the gateway's request id of the call whose stream carried it. */
export interface StreamOrigins {
  /** The call a server request arrived under, once; undefined when it came on the standalone stream or stdio. */
  take(serverRequestId: RpcId): RpcId | undefined;
  /** A fetch for the upstream transport that records each server request's originating call as it streams past. */
  wrap(base: typeof fetch): typeof fetch;
}

/** Bounds the map: a server that sends requests nobody answers cannot grow it without end. */
const MAX_LINKS = 1_000;

function requestIds(body: unknown): RpcId[] {
  if (typeof body !== 'string') return [];
  try {
    const parsed = JSON.parse(body) as unknown;
    const msgs = Array.isArray(parsed) ? parsed : [parsed];
    return msgs.flatMap((m) => (m && typeof m === 'object' && 'method' in m && 'id' in m && (typeof m.id === 'string' || typeof m.id === 'number') ? [m.id] : []));
  } catch {
    return [];
  }
}

export function createStreamOrigins(): StreamOrigins {
  const links = new Map<RpcId, RpcId>();

  function link(data: string, call: RpcId): void {
    // Results (often large) are the usual traffic: only what may be a request is parsed.
    if (!data.includes('"method"')) return;
    try {
      const msg = JSON.parse(data) as { method?: unknown; id?: unknown };
      if (typeof msg.method !== 'string' || (typeof msg.id !== 'string' && typeof msg.id !== 'number')) return;
      if (links.size >= MAX_LINKS) links.delete(links.keys().next().value!);
      links.set(msg.id, call);
    } catch {
      // Not JSON: the transport reports it; nothing to link.
    }
  }

  /**
   * The response body through a pass-through stage that reads SSE `data:` lines before handing each chunk on
   * unchanged: the transport parses the chunk only after this, so the link exists before the request reaches its handler.
   */
  function tap(res: Response, call: RpcId): Response {
    if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) return res;
    const decoder = new TextDecoder();
    let partial = '';
    let data: string[] = [];
    const line = (l: string) => {
      if (l === '') {
        if (data.length) link(data.join('\n'), call);
        data = [];
      } else if (l.startsWith('data:')) {
        data.push(l.slice(l[5] === ' ' ? 6 : 5));
      }
    };
    const scan = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split(/\r\n|\r|\n/);
        partial = lines.pop() ?? '';
        // A line longer than any sane event is dropped rather than buffered without end.
        if (partial.length > 4 * 1024 * 1024) partial = '';
        for (const l of lines) line(l);
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(scan), { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  return {
    take(id) {
      const call = links.get(id);
      links.delete(id);
      return call;
    },
    wrap(base) {
      return async (input, init) => {
        const res = await base(input, init);
        const ids = init?.method === 'POST' ? requestIds(init.body) : [];
        return ids.length === 1 ? tap(res, ids[0]!) : res;
      };
    },
  };
}
