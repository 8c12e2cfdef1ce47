// Optional active health checks: a 1-token chat to each alias target whose breaker is open, so recovery is noticed without live traffic.
import type { Deps } from '../deps.js';
import type { Logger } from '../log.js';
import type { ChatRequest } from '../openai/schemas.js';
import type { Router } from './router.js';

const PROBE: ChatRequest = { model: '', messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 };

/** Reads deps.config and deps.router on every tick, so it follows config reloads; returns a stop function. */
export function startHealthChecks(deps: Deps, tickMs = 1_000): () => void {
  let last = 0;
  let busy = false;
  const timer = setInterval(() => {
    const cfg = deps.config.routing.healthChecks;
    const t = deps.router.clock.now();
    if (!cfg.enabled || busy || t - last < cfg.intervalMs) return;
    last = t;
    busy = true;
    void probeAll(deps.router, deps.log, cfg.timeoutMs).finally(() => {
      busy = false;
    });
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}

export async function probeAll(router: Pick<Router, 'targets'>, log: Logger, timeoutMs: number): Promise<number> {
  const probes = router.targets().filter((tg) => tg.health.breaker.state() !== 'closed');
  await Promise.all(
    probes.map(async (tg) => {
      try {
        await tg.provider.chat(PROBE, { model: tg.model, signal: AbortSignal.timeout(timeoutMs), requestId: 'health-check' });
        tg.health.breaker.onSuccess();
        log.info({ target: tg.key }, 'health check passed; circuit closed');
      } catch {
        tg.health.breaker.onFailure();
      }
    }),
  );
  return probes.length;
}
