// The per-request values middleware puts on the Hono context, and the app's Env type.
import type { Deps } from '../deps.js';
import type { Principal } from '../policy/types.js';
import type { RequestTiming } from '../tracing/metrics.js';

export type { Principal };

export interface RequestVars {
  requestId: string;
  sessionId: string;
  startedAt: number;
  /** Filled by the broker: upstream time, for Server-Timing. */
  timing: RequestTiming;
  principal: Principal;
  /** Hands the end of the in-flight mark to a stream that outlives the handler. */
  deferEnd: () => () => void;
}

export interface AppEnv {
  Variables: RequestVars & { deps: Deps };
}
