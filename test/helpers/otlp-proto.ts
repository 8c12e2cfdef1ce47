// Decodes an OTLP ExportTraceServiceRequest from protobuf bytes into the OTLP/JSON shape, with a trimmed copy of the official .proto.
import protobuf from 'protobufjs';

// Field numbers from opentelemetry-proto (trace/v1/trace.proto, common/v1/common.proto); unlisted fields are skipped on decode.
const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  repeated KeyValue attributes = 9;
  Status status = 15;
}
message InstrumentationScope { string name = 1; string version = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;

const RequestType = protobuf.parse(PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

/** OTLP/JSON's id encoding: lowercase hex; an absent parent is the empty string. */
const hex = (b: unknown): string => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : '');

function toJsonShape(v: unknown, key: string): unknown {
  if (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') return hex(v);
  if (Array.isArray(v)) return v.map((x) => toJsonShape(x, ''));
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonShape(x, k)]));
  }
  return v;
}

/** The decoded request in the same camelCase shape the OTLP/JSON exporter posts (int64 as strings). */
export function decodeTraceRequest(bytes: Uint8Array): unknown {
  const msg = RequestType.decode(bytes);
  const obj = RequestType.toObject(msg, { longs: String });
  return toJsonShape(obj, '');
}
