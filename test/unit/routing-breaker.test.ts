// Circuit breaker states with an injected clock: opens on consecutive failures or ratio, half-opens after cooldown, closes on a good probe.
import { describe, expect, it } from 'vitest';
import { createBreaker } from '../../src/routing/breaker.js';
import { RoutingSchema } from '../../src/routing/schema.js';

function setup(over: Record<string, number> = {}) {
  const cfg = RoutingSchema.parse({ breaker: { consecutiveFailures: 3, cooldownMs: 1000, minRequests: 4, errorRatio: 0.5, windowMs: 10_000, ...over } }).breaker;
  const clock = { t: 0 };
  return { b: createBreaker(() => cfg, () => clock.t), clock };
}

describe('circuit breaker', () => {
  it('opens after consecutive failures and refuses calls until the cooldown', () => {
    const { b, clock } = setup();
    b.onFailure();
    b.onFailure();
    expect(b.state()).toBe('closed');
    b.onFailure();
    expect(b.state()).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.reason()).toMatch(/3 failures in a row/);
    clock.t = 999;
    expect(b.tryAcquire()).toBe(false);
    clock.t = 1000;
    expect(b.state()).toBe('half-open');
  });

  it('lets one probe through when half-open, closes on success and reopens on failure', () => {
    const { b, clock } = setup();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.t = 1000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one probe at a time
    b.onFailure();
    expect(b.state()).toBe('open');
    clock.t = 2500;
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.state()).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('frees the probe slot when the probe ends without a verdict', () => {
    const { b, clock } = setup();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.t = 1000;
    expect(b.tryAcquire()).toBe(true);
    b.onNeutral();
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens on the error ratio in the window, and a success resets the consecutive count', () => {
    const { b } = setup({ consecutiveFailures: 100 });
    b.onSuccess();
    b.onFailure();
    b.onSuccess();
    expect(b.state()).toBe('closed');
    b.onFailure(); // 2 of 4 failed
    expect(b.state()).toBe('open');
    expect(b.reason()).toMatch(/2\/4/);
  });

  it('forgets old calls when the window rolls over', () => {
    const { b, clock } = setup({ consecutiveFailures: 100, windowMs: 100 });
    b.onFailure();
    b.onFailure();
    b.onFailure();
    clock.t = 200;
    b.onSuccess();
    b.onSuccess();
    b.onSuccess();
    b.onFailure();
    expect(b.state()).toBe('closed');
  });
});
