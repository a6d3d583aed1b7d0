import {
  catchError,
  defer,
  EMPTY,
  merge,
  mergeMap,
  type Observable,
  switchMap,
  throwError,
  timer,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  type RecoverySignal,
  type WithRecoveryOptions,
  withRecovery,
} from '../../src/index.js';
import { testScheduler } from '../helpers/marbles.js';

// 20 pipelines call one dependency that always answers 503, one every 10 ms of virtual
// time; each call fails 5 ms after it starts. The default `service_unavailable` plan is
// retry (3) → escalate, with the default backoff (1 s, 2 s, 4 s).
const PIPELINES = 20;
const unavailable = Object.assign(new Error('Service Unavailable'), { status: 503 });

function fleet(
  protect: (hub: ReturnType<typeof createRecoveryHub>) => WithRecoveryOptions<string>,
) {
  const hub = createRecoveryHub();
  const signals: RecoverySignal[] = [];
  hub.signals.subscribe((signal) => signals.push(signal));
  let upstream = 0;
  const values: string[] = [];
  testScheduler().run(({ flush }) => {
    const dependency: Observable<string> = defer(() => {
      upstream += 1;
      return timer(5).pipe(mergeMap(() => throwError(() => unavailable)));
    });
    const options = protect(hub);
    merge(
      ...Array.from({ length: PIPELINES }, (_, i) =>
        timer(i * 10).pipe(
          switchMap(() => dependency.pipe(withRecovery(undefined, options))),
          catchError(() => EMPTY), // one pipeline's escalation does not end the others
        ),
      ),
    ).subscribe((value) => values.push(value));
    flush();
  });
  const count = (type: RecoverySignal['type']) => signals.filter((s) => s.type === type).length;
  const retries = signals.filter((s) => s.type === 'recovery_attempt' && s.strategy === 'retry');
  return {
    upstream,
    retries: retries.length,
    escalations: count('escalated'),
    opens: signals.filter((s) => s.type === 'circuit_state_changed' && s.to === 'open').length,
    skipped: count('retry_budget_exhausted'),
    values,
    signals,
    hub,
  };
}

describe('a fleet of 20 pipelines against a dependency that is down', () => {
  it('without protection, recovery multiplies the outage by 4 and pages 20 times', () => {
    const run = fleet((hub) => ({ hub }));
    expect(run).toMatchObject({ upstream: 80, retries: 60, escalations: 20, opens: 0 });
    expect(run.upstream / PIPELINES).toBe(4);
  });

  it('with a shared breaker and budget, upstream calls stay within the trip threshold plus the trial calls, and nobody is paged', () => {
    const threshold = 5;
    const halfOpenCalls = 1;
    const ratio = 0.2;
    const minPerSecond = 1;
    const ttlMs = 10_000;
    let budgetBound = 0;
    const run = fleet((hub) => {
      const breaker = createCircuitBreaker({
        name: 'model-api',
        trip: { consecutive: threshold },
        openMs: 30_000,
        halfOpenCalls,
        hub,
      });
      const budget = createRetryBudget({ name: 'model-api', ratio, minPerSecond, ttlMs });
      budgetBound = ratio * PIPELINES + (minPerSecond * ttlMs) / 1000;
      // What a refused call gets: the last good answer, not a page.
      return {
        hub,
        breaker,
        budget,
        degradation: { levels: [{ name: 'cached', value: 'cached' }] },
      };
    });
    // The first five calls fail and open the circuit; every later call and every retry is
    // refused at once (circuit_open: alternative → degrade → escalate, never a retry) and
    // served from the degradation level.
    expect(run.opens).toBe(1);
    expect(run.upstream).toBeLessThanOrEqual(threshold + halfOpenCalls * run.opens);
    expect(run.upstream).toBe(threshold);
    expect(run.retries).toBeLessThanOrEqual(budgetBound);
    expect(run.escalations).toBe(0);
    expect(run.values).toEqual(Array(PIPELINES).fill('cached'));
    expect(run.hub.snapshot()).toMatchObject({
      totalRecoveries: PIPELINES,
      successful: PIPELINES,
      strategiesUsed: { degrade: PIPELINES },
    });
  });

  it('with a budget alone, retries stay within ratio × requests + reserve', () => {
    const run = fleet((hub) => ({
      hub,
      budget: createRetryBudget({ name: 'b', ratio: 0.2, minPerSecond: 1, ttlMs: 10_000 }),
    }));
    const bound = 0.2 * PIPELINES + 10;
    expect(run.retries).toBe(bound);
    expect(run.upstream).toBe(PIPELINES + bound);
    // Each pipeline's first unpaid retry was skipped (and said so); its plan moved on to escalate.
    expect(run.skipped).toBe(PIPELINES);
    expect(run.hub.snapshot().retryBudgetExhausted).toBe(PIPELINES);
    expect(run.escalations).toBe(PIPELINES);
  });
});
