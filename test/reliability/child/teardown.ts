import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asyncScheduler, Observable, type Subscription } from 'rxjs';
import {
  type CorrectionRule,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  type DegradationLevel,
  type ErrorPattern,
  hedge,
  type RecoverySignal,
  type RecoveryStrategy,
  type SourceFactory,
  withRecovery,
} from '../../../src/index.js';
import { importError, timeoutError, validationError } from '../../helpers/errors.js';
import { type Case, isMain, runCases } from './cases.js';

/**
 * Teardown under the real asyncScheduler, in a process of its own so that only this
 * script's handles are counted. Nothing sleeps on a timer: waits are a minute long, so
 * they are still pending when a case unsubscribes, and time moves only by `setImmediate`
 * ticks, which sources use to fail "later".
 */

/** Active handles of the kinds a leak would leave: timers (asyncScheduler uses setInterval) and immediates. */
function handles() {
  const info = process.getActiveResourcesInfo();
  return {
    Timeout: info.filter((kind) => kind === 'Timeout').length,
    Immediate: info.filter((kind) => kind === 'Immediate').length,
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function ticks(n: number) {
  for (let i = 0; i < n; i++) await tick();
}

/** Subscriptions a source has open, and how many it ever had. */
interface Tracker {
  active: number;
  subscribed: number;
}

/** A source that holds a real one-minute timer and never emits: "in use" until torn down. */
function holding(tracker: Tracker): Observable<string> {
  return new Observable<string>((subscriber) => {
    tracker.active += 1;
    tracker.subscribed += 1;
    const handle = setTimeout(() => subscriber.next('too late'), 60_000);
    return () => {
      clearTimeout(handle);
      tracker.active -= 1;
    };
  });
}

/** A source that fails with `error` on the next setImmediate tick. */
function failingSoon(tracker: Tracker, error: unknown): Observable<string> {
  return new Observable<string>((subscriber) => {
    tracker.active += 1;
    tracker.subscribed += 1;
    const handle = setImmediate(() => subscriber.error(error));
    return () => {
      clearImmediate(handle);
      tracker.active -= 1;
    };
  });
}

const midBackoff: Case = {
  name: 'unsubscribing mid-backoff clears the backoff timer and resubscribes nothing',
  async run() {
    const before = handles();
    const tracker: Tracker = { active: 0, subscribed: 0 };
    const signals: string[] = [];
    const received: string[] = [];
    const subscription = failingSoon(tracker, timeoutError)
      .pipe(withRecovery(undefined, { signals: { next: (s) => signals.push(s.type) } }))
      .subscribe({
        next: (v) => received.push(v),
        error: () => received.push('error'),
        complete: () => received.push('complete'),
      });
    await tick();
    // The timeout failed: its 1 s backoff wait is a real timer now.
    assert.deepEqual(signals, ['error_detected', 'recovery_attempt']);
    assert.deepEqual(handles(), { ...before, Timeout: before.Timeout + 1 });
    assert.deepEqual(tracker, { active: 0, subscribed: 1 });
    subscription.unsubscribe();
    assert.deepEqual(handles(), before);
    await ticks(3);
    assert.deepEqual(handles(), before);
    assert.deepEqual(signals, ['error_detected', 'recovery_attempt']);
    assert.deepEqual(received, []);
    assert.deepEqual(tracker, { active: 0, subscribed: 1 });
  },
};

const midStep = (label: string, strategy: 'alternative' | 'degrade' | 'correct'): Case => ({
  name: `unsubscribing while ${label} is in use tears it down`,
  async run() {
    const before = handles();
    const source: Tracker = { active: 0, subscribed: 0 };
    const step: Tracker = { active: 0, subscribed: 0 };
    const patterns: ErrorPattern[] = [
      { id: 'broken', errorType: 'import', match: /Cannot find module/, strategy },
    ];
    const signals: string[] = [];
    const subscription = failingSoon(source, importError)
      .pipe(
        withRecovery(patterns, {
          alternatives: { broken: [() => holding(step)] },
          degradation: { levels: [{ name: 'held', source: () => holding(step) }] },
          corrections: [{ id: 'held', correct: () => holding(step) }],
          signals: { next: (s) => signals.push(s.type) },
        }),
      )
      .subscribe({ error: () => signals.push('ERROR'), complete: () => signals.push('COMPLETE') });
    await tick();
    assert.deepEqual(signals, ['error_detected', 'recovery_attempt']);
    assert.deepEqual(step, { active: 1, subscribed: 1 });
    assert.deepEqual(handles(), { ...before, Timeout: before.Timeout + 1 });
    subscription.unsubscribe();
    assert.deepEqual(step, { active: 0, subscribed: 1 });
    assert.deepEqual(source, { active: 0, subscribed: 1 });
    assert.deepEqual(handles(), before);
    await ticks(3);
    assert.deepEqual(signals, ['error_detected', 'recovery_attempt']);
    assert.deepEqual(handles(), before);
  },
});

const duringOnEscalate: Case = {
  name: 'unsubscribing during an async onEscalate leaves nothing behind; a later rejection is reported once',
  async run() {
    const before = handles();
    const source: Tracker = { active: 0, subscribed: 0 };
    const signals: RecoverySignal[] = [];
    const settle: Array<(error: unknown) => void> = [];
    const errors: unknown[] = [];
    const subscription = failingSoon(source, timeoutError)
      .pipe(
        withRecovery(undefined, {
          maxAttempts: 0,
          signals: { next: (s) => signals.push(s) },
          escalation: {
            onEscalate: () => new Promise<void>((_, reject) => settle.push(reject)),
          },
        }),
      )
      .subscribe({ error: (e: unknown) => errors.push(e) });
    await tick();
    assert.equal(settle.length, 1);
    assert.equal(errors.length, 1);
    subscription.unsubscribe();
    assert.deepEqual(handles(), before);
    assert.deepEqual(source, { active: 0, subscribed: 1 });
    const ended = signals.length;
    assert.deepEqual(
      signals.map((s) => s.type),
      ['error_detected', 'escalated', 'recovery_completed'],
    );
    const pagerDown = new Error('pager down');
    settle[0]?.(pagerDown);
    await ticks(2);
    // The record must reach somebody: the one signal allowed after the end.
    const later = signals.slice(ended);
    assert.equal(later.length, 1);
    const [reported] = later;
    assert.equal(reported?.type, 'observer_error');
    if (reported?.type !== 'observer_error') return;
    assert.equal(reported.source, 'onEscalate');
    assert.equal(reported.error, pagerDown);
    assert.equal(reported.record?.patternId, 'operation_timeout');
    assert.deepEqual(handles(), before);
  },
};

const levelReleased: Case = {
  name: 'a degradation level in use on the real scheduler is released on unsubscribe',
  async run() {
    const before = handles();
    const level: Tracker = { active: 0, subscribed: 0 };
    const failing = new Observable<string>((subscriber) => subscriber.error(validationError));
    const subscription = failing
      .pipe(
        withRecovery(undefined, {
          degradation: { levels: [{ name: 'held', source: () => holding(level) }] },
        }),
      )
      .subscribe();
    assert.deepEqual(level, { active: 1, subscribed: 1 });
    assert.deepEqual(handles(), { ...before, Timeout: before.Timeout + 1 });
    subscription.unsubscribe();
    assert.deepEqual(level, { active: 0, subscribed: 1 });
    assert.deepEqual(handles(), before);
  },
};

/** How one subscription of a source (or a step's source) behaves under the real scheduler. */
const behaviours = ['syncFast', 'syncSlow', 'immediate', 'microtask', 'hold', 'value'] as const;
type Behaviour = (typeof behaviours)[number];

/** Fast errors are retried at once (delayFromError 0); slow ones wait a real minute. */
const fastFailure = () => new Error('fast failure');
const slowFailure = () => new Error('slow failure');

function realSource(behaviour: Behaviour, tracker: Tracker, emitted: string[]): Observable<string> {
  return new Observable<string>((subscriber) => {
    tracker.active += 1;
    tracker.subscribed += 1;
    let open = true;
    const release: Array<() => void> = [];
    const value = `v${tracker.subscribed}`;
    switch (behaviour) {
      case 'syncFast':
        subscriber.error(fastFailure());
        break;
      case 'syncSlow':
        subscriber.error(slowFailure());
        break;
      case 'immediate': {
        const handle = setImmediate(() => subscriber.error(fastFailure()));
        release.push(() => clearImmediate(handle));
        break;
      }
      case 'microtask':
        queueMicrotask(() => {
          if (open) subscriber.error(fastFailure());
        });
        break;
      case 'hold': {
        const handle = setTimeout(() => subscriber.error(fastFailure()), 60_000);
        release.push(() => clearTimeout(handle));
        break;
      }
      case 'value': {
        emitted.push(value);
        subscriber.next(value);
        const handle = setImmediate(() => subscriber.error(fastFailure()));
        release.push(() => clearImmediate(handle));
        break;
      }
    }
    return () => {
      open = false;
      for (const free of release) free();
      tracker.active -= 1;
    };
  });
}

/** Failing later and waiting are what the moments are about: they come up most. */
const behaviourArb = fc.constantFrom<Behaviour>(
  'syncFast',
  'syncSlow',
  'syncSlow',
  'immediate',
  'immediate',
  'microtask',
  'hold',
  'value',
);

const strategyArb = fc.constantFrom<RecoveryStrategy>(
  'retry',
  'alternative',
  'degrade',
  'correct',
  'escalate',
);

const randomMoments: Case = {
  name: 'leaves no timer, immediate, source subscription or later signal, whenever it is unsubscribed',
  async run() {
    const seen = { backoffPending: 0, stepPending: 0, immediatePending: 0, escalated: 0, ended: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(behaviourArb, { minLength: 1, maxLength: 6 }),
        fc.array(behaviourArb, { maxLength: 3 }),
        fc.array(strategyArb, { minLength: 1, maxLength: 3 }),
        // Slow errors mostly wait: a retry first, then anything.
        fc.array(strategyArb, { maxLength: 2 }).map((rest) => ['retry' as const, ...rest]),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        async (
          script,
          stepBehaviours,
          fastPlan,
          slowPlan,
          maxAttempts,
          unsubscribeAfter,
          reject,
        ) => {
          const before = handles();
          const tracker: Tracker = { active: 0, subscribed: 0 };
          const emitted: string[] = [];
          const received: string[] = [];
          const signals: RecoverySignal[] = [];
          const settlers: Array<(ok: boolean) => void> = [];
          const stepSource = (i: number): Observable<string> => {
            const behaviour = stepBehaviours[i] ?? 'syncFast';
            return realSource(behaviour, tracker, emitted);
          };
          const factories: SourceFactory<string>[] = stepBehaviours.map(
            (_, i) => () => stepSource(i),
          );
          const levels: DegradationLevel<string>[] = stepBehaviours.map((_, i) => ({
            name: `level ${i}`,
            source: () => stepSource(i),
          }));
          const corrections: CorrectionRule<string>[] = [
            { id: 'first', correct: () => (stepBehaviours.length > 0 ? stepSource(0) : undefined) },
          ];
          let n = 0;
          const source = new Observable<string>((subscriber) => {
            const behaviour = script[Math.min(n, script.length - 1)] ?? 'syncFast';
            n += 1;
            return realSource(behaviour, tracker, emitted).subscribe(subscriber);
          });
          const patterns: ErrorPattern[] = [
            {
              id: 'fast',
              errorType: 'transient',
              match: /fast/,
              strategy: fastPlan,
              maxRetries: 3,
            },
            { id: 'slow', errorType: 'timeout', match: /slow/, strategy: slowPlan, maxRetries: 3 },
          ];
          let ended = false;
          const subscription: Subscription = source
            .pipe(
              withRecovery(patterns, {
                maxAttempts,
                retry: {
                  delayFromError: (error) =>
                    (error as Error).message.startsWith('slow') ? 60_000 : 0,
                },
                alternatives: { fast: factories, slow: factories },
                degradation: { levels },
                corrections,
                escalation: {
                  onEscalate: () =>
                    new Promise<void>((resolve, rejectPromise) => {
                      settlers.push((ok) => (ok ? resolve() : rejectPromise(new Error('pager'))));
                    }),
                },
                scheduler: asyncScheduler,
                signals: { next: (s) => signals.push(s) },
              }),
            )
            .subscribe({
              next: (v) => received.push(v),
              error: () => {
                ended = true;
              },
              complete: () => {
                ended = true;
              },
            });
          await ticks(unsubscribeAfter);

          // What is pending when it unsubscribes, for the vacuity counters.
          const now = handles();
          const last = signals.findLast((s) => s.type === 'recovery_attempt');
          if (!ended && now.Timeout > before.Timeout && last?.delayMs === 60_000) {
            seen.backoffPending++;
          }
          if (!ended && tracker.active > 0 && last !== undefined && last.strategy !== 'retry') {
            seen.stepPending++;
          }
          if (!ended && now.Immediate > before.Immediate) seen.immediatePending++;
          if (ended) seen.ended++;

          subscription.unsubscribe();
          const count = signals.length;
          const values = received.length;
          assert.equal(tracker.active, 0);
          assert.deepEqual(handles(), before);
          // Every value a source emitted arrived, once, in order.
          assert.deepEqual(received, emitted);

          // Escalations still pending settle now; a rejection is the one later signal allowed.
          for (const settle of settlers) settle(!reject);
          if (settlers.length > 0) seen.escalated++;
          await ticks(3);
          assert.deepEqual(handles(), before);
          assert.equal(tracker.active, 0);
          assert.equal(received.length, values);
          const later = signals
            .slice(count)
            .map((s) => (s.type === 'observer_error' ? s.source : s.type));
          assert.deepEqual(later, reject ? settlers.map(() => 'onEscalate') : []);
        },
      ),
      { numRuns: 300 },
    );
    // Each kind of moment came up often enough to mean something.
    assert.ok(seen.backoffPending > 50, `backoff pending only ${seen.backoffPending} times`);
    assert.ok(seen.stepPending > 8, `a step in use only ${seen.stepPending} times`);
    assert.ok(
      seen.immediatePending > 15,
      `an immediate pending only ${seen.immediatePending} times`,
    );
    assert.ok(seen.escalated > 15, `escalated only ${seen.escalated} times`);
    assert.ok(seen.ended > 40, `ended before the unsubscribe only ${seen.ended} times`);
    return seen;
  },
};

/** Each timer the fleet options add is gone after an unsubscribe at the moment it is pending. */
const fleetTimers: Case = {
  name: 'hedge delays, attempt timeouts, deadlines, waiting escalations and breaker calls leave nothing behind',
  async run() {
    const before = handles();
    const hub = createRecoveryHub();
    const breaker = createCircuitBreaker({ name: 'teardown', trip: { consecutive: 1 } });
    const cases: Array<[string, (tracker: Tracker) => Observable<string>]> = [
      // A hedge waits 60 s before its second attempt; a hedge in flight holds its own timer.
      ['hedge waiting', (t) => holding(t).pipe(hedge({ delayMs: 60_000 }))],
      // The attempt's 60 s timeout is armed while the source holds.
      [
        'attempt timeout',
        (t) => holding(t).pipe(withRecovery(undefined, { attemptTimeoutMs: 60_000 })),
      ],
      // The deadline's timer runs during a 60 s backoff.
      [
        'deadline',
        (t) =>
          failingSoon(t, timeoutError).pipe(
            withRecovery(undefined, { deadlineMs: 120_000, retry: { baseDelayMs: 60_000 } }),
          ),
      ],
      // An escalation waiting for a person, with a 60 s timeout, listed on the hub.
      [
        'waiting escalation',
        (t) =>
          failingSoon(t, timeoutError).pipe(
            withRecovery(undefined, {
              hub,
              maxAttempts: 0,
              escalation: { await: { timeoutMs: 60_000 } },
            }),
          ),
      ],
      // A call through a breaker, held open.
      ['breaker call', (t) => holding(t).pipe(circuitBreaker(breaker))],
    ];
    for (const [label, build] of cases) {
      const tracker: Tracker = { active: 0, subscribed: 0 };
      const subscription = build(tracker).subscribe({ error: () => {} });
      await ticks(2);
      assert.ok(handles().Timeout > before.Timeout, `${label}: a timer is pending`);
      subscription.unsubscribe();
      assert.equal(tracker.active, 0, `${label}: the source is torn down`);
      assert.deepEqual(handles(), before, `${label}: no timer or immediate left`);
    }
    assert.deepEqual(hub.pendingEscalations(), []);
    // The breaker's permit was given back: the call left no outcome, the circuit is closed.
    assert.equal(breaker.state, 'closed');
  },
};

export const teardownCases: readonly Case[] = [
  midBackoff,
  midStep('an alternative', 'alternative'),
  midStep('a degradation level', 'degrade'),
  midStep('a correction', 'correct'),
  duringOnEscalate,
  levelReleased,
  randomMoments,
  fleetTimers,
];

if (isMain(import.meta.url)) await runCases(teardownCases);
