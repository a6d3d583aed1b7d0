/**
 * Child process of the memory scenario: heap after forced GC before, during and after a
 * million recoveries. Needs `global.gc`, so bench/scenarios/memory.ts runs it as
 *
 *   node --expose-gc --import tsx bench/memory.ts <recoveries>
 *
 * and it prints one JSON line.
 */
import { Observable, retry } from 'rxjs';
import { TIMEOUT_ERROR } from './fixtures.js';
import { createRecoveryHub, defaultPatterns, withRecovery } from './lib.js';

export const MEMORY_CASES = {
  'one-subscription': {
    name: 'withRecovery: one subscription, n recoveries',
    note: 'each resubscription emits a value (the recovery succeeds) and fails again; retry: { baseDelayMs: 0, resetOnSuccess: true }; hub with a signals subscriber',
  },
  'many-subscriptions': {
    name: 'withRecovery: n subscriptions, one recovery each',
    note: 'one pipe subscribed n times; each subscription fails once, is retried and completes; retry: { baseDelayMs: 0 }; hub with a signals subscriber',
  },
  'many-subscriptions-rxjs': {
    name: 'RxJS retry({ count: 3 }): n subscriptions, one retry each',
    note: 'the same source and loop through RxJS retry, for reference',
  },
} as const;

export type MemoryCase = keyof typeof MEMORY_CASES;

/** Heap figures of one case, in bytes (heapUsed after forced GC). */
export interface MemoryMeasurement {
  readonly case: MemoryCase;
  readonly recoveries: number;
  readonly before: number;
  readonly during: number;
  readonly after: number;
  /** Wall time of the n recoveries, ms (GC pauses of the mid-run sample included). */
  readonly ms: number;
  /** Signals the hub delivered, to show the work was done. */
  readonly signals: number;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('bench/memory.ts needs node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

function heap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Runs a case for `n` recoveries, calling `sample` halfway. Returns the signals seen. */
type Runner = (n: number, sample: () => void) => number;

function oneSubscription(): Runner {
  const hub = createRecoveryHub();
  let signals = 0;
  hub.signals.subscribe(() => {
    signals += 1;
  });
  let subscriptions = 0;
  let target = 0;
  let halfway = (): void => {};
  const source = new Observable<number>((subscriber) => {
    subscriptions += 1;
    if (subscriptions === (target >> 1) + 1) halfway();
    subscriber.next(subscriptions);
    if (subscriptions > target) subscriber.complete();
    else subscriber.error(TIMEOUT_ERROR);
  });
  const recovered = source.pipe(
    withRecovery(defaultPatterns, { hub, retry: { baseDelayMs: 0, resetOnSuccess: true } }),
  );
  return (n, sample) => {
    subscriptions = 0;
    target = n;
    halfway = sample;
    let completed = false;
    recovered.subscribe({
      complete: () => {
        completed = true;
      },
    });
    if (!completed || hub.snapshot().successful < n)
      throw new Error('one-subscription: did not recover n times');
    halfway = () => {};
    return signals;
  };
}

function manySubscriptions(rxjs: boolean): Runner {
  const hub = createRecoveryHub();
  let signals = 0;
  hub.signals.subscribe(() => {
    signals += 1;
  });
  let failNext = true;
  const source = new Observable<number>((subscriber) => {
    if (failNext) {
      failNext = false;
      subscriber.error(TIMEOUT_ERROR);
    } else {
      subscriber.next(1);
      subscriber.complete();
    }
  });
  const recovered = rxjs
    ? source.pipe(retry({ count: 3 }))
    : source.pipe(withRecovery(defaultPatterns, { hub, retry: { baseDelayMs: 0 } }));
  let values = 0;
  const observer = {
    next: () => {
      values += 1;
    },
  };
  return (n, sample) => {
    values = 0;
    for (let i = 0; i < n; i++) {
      if (i === n >> 1) sample();
      failNext = true;
      recovered.subscribe(observer);
    }
    if (values !== n) throw new Error('many-subscriptions: not every subscription recovered');
    return signals;
  };
}

function runner(which: MemoryCase): Runner {
  switch (which) {
    case 'one-subscription':
      return oneSubscription();
    case 'many-subscriptions':
      return manySubscriptions(false);
    case 'many-subscriptions-rxjs':
      return manySubscriptions(true);
  }
}

function measure(which: MemoryCase, n: number): MemoryMeasurement {
  const run = runner(which);
  run(Math.min(n, 10_000), () => {}); // warm-up: compiled code and lazy state are not "retained"
  const before = heap();
  let during = Number.NaN;
  const started = performance.now();
  const signals = run(n, () => {
    during = heap();
  });
  const ms = performance.now() - started;
  const after = heap();
  return { case: which, recoveries: n, before, during, after, ms, signals };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const results = (Object.keys(MEMORY_CASES) as MemoryCase[]).map((which) => measure(which, n));
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
