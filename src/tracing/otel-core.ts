// What the tracing modules share without importing each other: the request-context key and the tracing contracts.
import { createContextKey, type Context, type Tracer } from '@opentelemetry/api';

/** What a request's context carries so deep code can start spans without a handle passed down. */
export interface TracingCore {
  tracer: Tracer;
  inject(ctx: Context, carrier: Record<string, string>): void;
}

/** Marks a context as belonging to a traced request; its value is that request's TracingCore. */
export const CORE = createContextKey('gateway.tracing');

export interface RequestTrace {
  /** Runs the rest of the request with its SERVER span active. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  end(info: { status: number; route: string; keyId?: string | null; teamId?: string | null }): void;
}

export interface RequestInfo {
  method: string;
  path: string;
  headers: Headers;
  requestId: string;
  sessionId: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** The SERVER span of one HTTP request, a child of the client's `traceparent`; null when tracing is off. */
  startRequest(req: RequestInfo): RequestTrace | null;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
