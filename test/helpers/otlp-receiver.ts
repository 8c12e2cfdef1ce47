// An in-process OTLP trace receiver: HTTP /v1/traces (JSON and protobuf) and gRPC TraceService/Export, spans flattened with their attributes.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as GrpcServer, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { decodeTraceRequest } from './otlp-proto.js';

export type OtlpProtocol = 'http/json' | 'http/protobuf' | 'grpc';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  /** How the span arrived, and the export request's headers (gRPC: metadata). */
  protocol: OtlpProtocol;
  headers: Record<string, string>;
}

export interface OtlpReceiver {
  /** OTLP/HTTP base URL (append /v1/traces for a traces endpoint). */
  url: string;
  /** OTLP/gRPC address, http://127.0.0.1:<port>. */
  grpcUrl: string;
  spans: ReceivedSpan[];
  /** Export requests seen, over any protocol, accepted or not. */
  requests: number;
  /** Resolves when `pred` holds for the spans seen so far (polls). */
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (kvs: KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));

interface Export {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; status?: ReceivedSpan['status']; attributes?: KeyValue[] }> }>;
  }>;
}

function record(into: ReceivedSpan[], body: Export, protocol: OtlpProtocol, headers: Record<string, string>): void {
  for (const rs of body.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        into.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          status: s.status ?? {},
          attributes: attrs(s.attributes),
          resource,
          protocol,
          headers,
        });
      }
    }
  }
}

/** The OTLP TraceService with raw bytes in and out, so no generated stubs are needed. */
const raw = (b: Buffer) => b;
const TRACE_SERVICE = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const http: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      const type = String(req.headers['content-type']);
      const protocol: OtlpProtocol | null = type.includes('json') ? 'http/json' : type.includes('protobuf') ? 'http/protobuf' : null;
      if (req.url !== '/v1/traces' || !protocol) {
        res.writeHead(415).end();
        return;
      }
      const bytes = Buffer.concat(chunks);
      const body = (protocol === 'http/json' ? JSON.parse(bytes.toString('utf8')) : decodeTraceRequest(bytes)) as Export;
      record(spans, body, protocol, Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])));
      // An empty ExportTraceServiceResponse in the request's encoding.
      if (protocol === 'http/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const grpc = new GrpcServer();
  grpc.addService(TRACE_SERVICE, {
    Export(call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) {
      r.requests++;
      const headers = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
      record(spans, decodeTraceRequest(call.request) as Export, 'grpc', headers);
      done(null, Buffer.alloc(0));
    },
  });
  await new Promise<void>((res) => http.listen(0, '127.0.0.1', () => res()));
  const grpcPort = await new Promise<number>((res, rej) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? rej(err) : res(port))));
  const r: OtlpReceiver = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans,
    requests: 0,
    async waitFor(pred, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!pred(spans)) {
        if (Date.now() > until) throw new Error(`timed out waiting for spans; have: ${spans.map((s) => s.name).join(', ')}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async close() {
      await Promise.all([new Promise<void>((res) => http.close(() => res())), new Promise<void>((res) => grpc.tryShutdown(() => res()))]);
    },
  };
  return r;
}
