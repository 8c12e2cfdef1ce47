// How long stored responses (POST /v1/responses with `store`) are kept, and the hourly job that deletes older ones.
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { ResponsesRepo } from './responses-repo.js';

export const ResponsesConfigSchema = z
  .object({
    /** Days a stored response is kept for retrieval and chaining (OpenAI keeps 30); 0 keeps them until deleted. */
    retentionDays: z.number().min(0).default(30),
    /** How often the retention job runs. */
    retentionIntervalMs: z.number().int().positive().default(3_600_000),
  })
  .strict();

export type ResponsesConfig = z.infer<typeof ResponsesConfigSchema>;

export interface ResponsesRetention {
  /** Deletes responses stored before `now` minus the retention; returns how many went. */
  prune(now?: Date): Promise<number>;
  close(): void;
}

export function createResponsesRetention(repo: Pick<ResponsesRepo, 'pruneStoredResponses'>, cfg: ResponsesConfig, log: Logger): ResponsesRetention {
  const prune = async (now = new Date()) => {
    if (cfg.retentionDays <= 0) return 0;
    const n = await repo.pruneStoredResponses(new Date(now.getTime() - cfg.retentionDays * 86_400_000));
    if (n) log.info({ deleted: n, retentionDays: cfg.retentionDays }, 'stored responses: retention pruned old responses');
    return n;
  };
  const timer = cfg.retentionDays > 0 ? setInterval(() => void prune().catch((err: Error) => log.warn({ err: err.message }, 'stored responses: retention failed')), cfg.retentionIntervalMs) : null;
  timer?.unref();
  return { prune, close: () => timer && clearInterval(timer) };
}
