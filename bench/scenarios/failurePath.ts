import { retryBackoff as backoffRxjsRetry } from 'backoff-rxjs';
import { ConstantBackoff, retry as cockatielRetry, handleAll } from 'cockatiel';
import pRetry from 'p-retry';
import { type Observable, retry, Subject } from 'rxjs';
import type { BenchConfig } from '../config.js';
import { defaultPatternsRetrying, failingCall, failingSource } from '../fixtures.js';
import { interleave, type ScenarioResult, sink, type Variant } from '../harness.js';
import { createRecoveryHub, retryBackoff, withRecovery } from '../lib.js';

export const FAILURE_BASELINE = 'RxJS retry({ count: k })';
export const FAILURE_NO_HUB = 'withRecovery, no hub';
export const FAILURE_HUB_UNOBSERVED = 'withRecovery, hub without subscriber';
export const FAILURE_HUB_OBSERVED = 'withRecovery, hub with a signals subscriber';
export const FAILURE_P_RETRY = 'p-retry';
export const FAILURE_FLOOR = 'floor: Date.now() + two signals through a Subject to one subscriber';

/**
 * A source that fails k times synchronously, then emits and completes; one run is one
 * subscription (or one promise) through k failed attempts to the value. Cost per failed
 * attempt = run / k.
 */
export async function failurePath(config: BenchConfig): Promise<ScenarioResult> {
  const k = config.failures;
  /** The last value any variant delivered: k + 1 when it got through the k failures. */
  let delivered = 0;
  const observer = {
    next: (value: number) => {
      delivered = value;
      sink.value += value;
    },
  };
  const rxVariant = (
    name: string,
    build: (source: Observable<number>) => Observable<number>,
    note?: string,
  ): Variant => {
    const failing = failingSource(k);
    const piped = build(failing.source);
    return {
      name,
      fn: () => {
        failing.reset();
        piped.subscribe(observer);
      },
      units: k,
      ...(note === undefined ? {} : { note }),
    };
  };
  /** Runs for asynchronous variants complete when their promise or observable does. */
  const rxAsyncVariant = (
    name: string,
    build: (source: Observable<number>) => Observable<number>,
    note: string,
  ): Variant => {
    const failing = failingSource(k);
    const piped = build(failing.source);
    return {
      name,
      async: true,
      fn: () =>
        new Promise<void>((resolve, reject) => {
          failing.reset();
          piped.subscribe({ next: observer.next, error: reject, complete: resolve });
        }),
      units: k,
      note,
    };
  };
  const patterns = defaultPatternsRetrying(k);
  const options = { retry: { baseDelayMs: 0 }, maxAttempts: k };
  const unobserved = createRecoveryHub();
  const observed = createRecoveryHub();
  observed.signals.subscribe(() => {
    sink.value += 1;
  });
  const floor = new Subject<{ type: string; at: number }>();
  floor.subscribe((signal) => {
    sink.value += signal.at;
  });
  const pRetryCall = failingCall(k);
  const cockatielCall = failingCall(k);
  const cockatielPolicy = cockatielRetry(handleAll, {
    maxAttempts: k,
    backoff: new ConstantBackoff(0),
  });
  const variants: Variant[] = [
    rxVariant(
      FAILURE_BASELINE,
      (s) => s.pipe(retry({ count: k })),
      'synchronous resubscription, no delay',
    ),
    rxVariant(
      FAILURE_NO_HUB,
      (s) => s.pipe(withRecovery(patterns, options)),
      'default patterns (the error matches operation_timeout, the last by priority), retry: { baseDelayMs: 0 }; no signals built',
    ),
    rxVariant(
      FAILURE_HUB_UNOBSERVED,
      (s) => s.pipe(withRecovery(patterns, { ...options, hub: unobserved })),
      'signals built and published to a hub nobody subscribes to (statistics still reduced)',
    ),
    rxVariant(FAILURE_HUB_OBSERVED, (s) =>
      s.pipe(withRecovery(patterns, { ...options, hub: observed })),
    ),
    rxVariant(
      'rx-recovery retryBackoff({ baseDelayMs: 0 })',
      (s) => s.pipe(retryBackoff({ maxRetries: k, baseDelayMs: 0 })),
      'catch-all pattern, no hub',
    ),
    {
      // Not a peer: the least a failed attempt must do, beyond the engine's own work, when a
      // hub's signals has a subscriber (DESIGN.md): read the scheduler's time for `at`
      // (asyncScheduler: Date.now) and deliver two signals (error_detected, recovery_attempt)
      // through an RxJS Observable to the subscriber. The error is the same object each time,
      // so its classification is recalled and no `analysisMs` clock is read.
      name: FAILURE_FLOOR,
      fn: () => {
        for (let i = 0; i < k; i++) {
          const at = Date.now();
          floor.next({ type: 'error_detected', at });
          floor.next({ type: 'recovery_attempt', at });
        }
      },
      units: k,
      note: 'no signal fields beyond type and at, not frozen, no statistics: a floor under the hub variant, added to the no-hub cost',
    },
    {
      name: FAILURE_P_RETRY,
      async: true,
      fn: () => {
        pRetryCall.reset();
        return pRetry(pRetryCall.call, { retries: k, minTimeout: 0 });
      },
      units: k,
      note: 'p-retry 7.1.1, minTimeout: 0: no timer, but several awaited microtasks per attempt',
    },
    {
      name: 'cockatiel retry',
      async: true,
      fn: () => {
        cockatielCall.reset();
        return cockatielPolicy.execute(cockatielCall.call);
      },
      units: k,
      note: 'cockatiel 3.2.1, ConstantBackoff(0): a setTimeout(0) per attempt, which Node clamps to 1 ms',
    },
    rxAsyncVariant(
      'backoff-rxjs retryBackoff',
      (s) => s.pipe(backoffRxjsRetry({ initialInterval: 0, maxRetries: k })),
      'backoff-rxjs 7.0.0, initialInterval: 0: a timer(0) on asyncScheduler per attempt (≥ 1 ms)',
    ),
  ];
  // Each variant must really get through the k failures to the value before it is timed.
  for (const variant of variants) {
    if (variant.name === FAILURE_FLOOR) continue;
    delivered = 0;
    const returned = await variant.fn();
    if (delivered !== k + 1 && returned !== k + 1) {
      throw new Error(`failure path: ${variant.name} did not get through ${k} failures`);
    }
  }
  return {
    id: 'failure-path',
    title: `Failure path, zero delay: ${k} synchronous failures, then a value — ns per failed attempt`,
    unit: 'ns/attempt',
    baseline: FAILURE_BASELINE,
    variants: await interleave(variants, FAILURE_BASELINE, config.timing),
    notes: [
      'One run = one subscription (or promise) through k failed attempts to the value; ns per attempt = run / k. The error object is created once, so no variant pays for a stack trace.',
      'p-retry and cockatiel are promise-based: every attempt waits at least for microtasks (p-retry) or a timer (cockatiel), so they are never synchronous; backoff-rxjs always waits on a timer.',
    ],
  };
}
