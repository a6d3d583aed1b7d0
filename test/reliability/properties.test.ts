import fc from 'fast-check';
import { defer, EMPTY, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  type CorrectionRule,
  createRecoveryHub,
  type DegradationLevel,
  isEscalationError,
  type RecoveryHub,
  type RecoverySignal,
  type SourceFactory,
  type WithRecoveryOptions,
  withRecovery,
} from '../../src/index.js';
import { testScheduler } from '../helpers/marbles.js';
import {
  MAX_SCRIPT_FRAMES,
  makeErrors,
  newLog,
  type OptionsSpec,
  optionsArb,
  type PatternSpec,
  patternsArb,
  type Script,
  type ScriptLog,
  scriptArb,
  scripted,
  toPatterns,
} from './scripted.js';

/** How often a correction rule hands back a source, at most, so resetOnSuccess cannot loop forever. */
const MAX_CORRECTIONS_PER_RULE = 3;
/** The budget the engine gives retry and correct steps of errors no pattern matched. */
const UNMATCHED_MAX_RETRIES = 3;

interface Pipeline {
  readonly result: Observable<string>;
  /** Calls of each user callback: alternative factories, level sources, correction rules. */
  readonly calls: Map<string, number>;
  readonly levelValues: ReadonlySet<string>;
  readonly signals: RecoverySignal[];
}

/** Builds `source.pipe(withRecovery(…))` from a scenario; every scripted source records into `log`. */
function pipeline(
  sources: readonly Script[],
  patterns: readonly PatternSpec[],
  spec: OptionsSpec,
  log: ScriptLog,
  scheduler: SchedulerLike,
  name: string,
  hub?: RecoveryHub,
): Pipeline {
  const errors = makeErrors();
  const calls = new Map<string, number>();
  const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
  const play = (id: string, script: Script) =>
    scripted(`${name}/${id}`, script, errors, log, scheduler);

  const alternatives: Record<string, SourceFactory<string>[]> = {};
  for (const { key, list } of spec.alternatives) {
    // A key that names neither a pattern of the table nor an error type is a config error.
    if (!patterns.some((p) => p.id === key) && !['transient', 'import', 'unknown'].includes(key)) {
      continue;
    }
    const factories = alternatives[key] ?? [];
    alternatives[key] = factories;
    list.forEach(({ kind, script }, i) => {
      const id = `alt:${key}:${factories.length}:${i}`;
      factories.push(() => {
        count(id);
        if (kind === 'throw') throw errors.alpha;
        return play(id, script);
      });
    });
  }
  const levelValues = new Set<string>();
  const levels: DegradationLevel<string>[] = spec.levels.map(({ kind, script }, i) => {
    const id = `level:${i}`;
    if (kind === 'value') {
      levelValues.add(`${name}/${id}`);
      return { name: id, value: `${name}/${id}` };
    }
    return {
      name: id,
      source: () => {
        count(id);
        if (kind === 'throw') throw errors.beta;
        return play(id, script);
      },
    };
  });
  const corrections: CorrectionRule<string>[] = spec.corrections.map(
    ({ kind, narrow, script }, i) => {
      const id = `correct:${i}`;
      return {
        id,
        ...(narrow ? { match: /alpha|gamma/ } : {}),
        correct: () => {
          if (kind === 'decline' || (calls.get(id) ?? 0) >= MAX_CORRECTIONS_PER_RULE)
            return undefined;
          count(id);
          if (kind === 'throw') throw errors.gamma;
          return play(id, script);
        },
      };
    },
  );

  const signals: RecoverySignal[] = [];
  const options: WithRecoveryOptions<string> = {
    maxAttempts: spec.maxAttempts,
    retry: {
      baseDelayMs: spec.baseDelayMs,
      maxDelayMs: spec.maxDelayMs,
      resetOnSuccess: spec.resetOnSuccess,
    },
    unmatched: spec.unmatched,
    escalation: { terminal: spec.terminal },
    alternatives,
    degradation: { levels },
    corrections,
    context: { correlationId: name },
    signals: {
      next: (signal) => {
        if (log.ended) log.violations.push(`${name}: ${signal.type} after the end`);
        signals.push(signal);
      },
    },
    ...(hub === undefined ? {} : { hub }),
  };
  let n = 0;
  const source = defer(() => {
    const script = sources[n] ?? (spec.resetOnSuccess ? undefined : sources.at(-1));
    n += 1;
    // With resetOnSuccess budgets refill after every success: past the script, complete.
    return script === undefined ? EMPTY : play('src', script);
  });
  return {
    result: source.pipe(withRecovery(toPatterns(patterns), options)),
    calls,
    levelValues,
    signals,
  };
}

type Ending =
  | { readonly kind: 'error'; readonly error: unknown; readonly at: number }
  | { readonly kind: 'complete'; readonly at: number }
  | { readonly kind: 'unsubscribed'; readonly at: number };

/**
 * Subscribes `result`, unsubscribing at frame `unsubscribeAt` if given. Once the stream has
 * ended, it counts the virtual actions still scheduled (timers, scripted events): an
 * operator that leaves one behind leaks a timer under a real scheduler.
 */
function consume(
  result: Observable<string>,
  log: ScriptLog,
  scheduler: TestScheduler,
  unsubscribeAt: number | undefined,
) {
  const received: string[] = [];
  const state: {
    ending?: Ending;
    subscription?: Subscription;
    activeAtEnd: number;
    leftoverActions?: number;
  } = { activeAtEnd: 0 };
  let unsubscriber: Subscription | undefined;
  const end = (ending: Ending) => {
    if (state.ending !== undefined)
      log.violations.push(`${ending.kind} after ${state.ending.kind}`);
    state.ending = ending;
    log.ended = true;
    // Looked at once everything due now has run and the teardown is done.
    scheduler.schedule(() => {
      state.leftoverActions = scheduler.actions.filter((a) => a !== unsubscriber).length;
    });
  };
  // Scheduled first, so it runs before any timer of the pipeline due at the same frame.
  if (unsubscribeAt !== undefined) {
    unsubscriber = scheduler.schedule(() => {
      if (state.ending !== undefined) return;
      state.activeAtEnd = log.active;
      state.subscription?.unsubscribe();
      end({ kind: 'unsubscribed', at: scheduler.now() });
    }, unsubscribeAt);
  }
  state.subscription = result.subscribe({
    next: (value) => {
      if (log.ended) log.violations.push(`value ${value} after the end`);
      received.push(value);
    },
    error: (error: unknown) => end({ kind: 'error', error, at: scheduler.now() }),
    complete: () => end({ kind: 'complete', at: scheduler.now() }),
  });
  return { received, state };
}

const budgetOf = (patterns: readonly PatternSpec[], patternId: string | undefined) =>
  patterns.find((p) => p.id === patternId)?.maxRetries ?? UNMATCHED_MAX_RETRIES;

/**
 * Checks the step counts of one subscription's signals: per pattern, retry and correct
 * steps stay within `maxRetries` and are numbered 1, 2, 3…; all steps stay within
 * `maxAttempts`. With `resetOnSuccess` the counts restart after each successful recovery.
 * Returns what was reached, for the vacuity counters.
 */
function checkBudgets(
  signals: readonly RecoverySignal[],
  patterns: readonly PatternSpec[],
  spec: OptionsSpec,
) {
  let spent = new Map<string, number>();
  let steps = 0;
  let budgetReached = false;
  let attemptsCapped = false;
  let resets = 0;
  for (const signal of signals) {
    if (signal.type === 'recovery_completed' && signal.result.success && spec.resetOnSuccess) {
      if (steps > 0) resets += 1;
      spent = new Map();
      steps = 0;
    }
    if (signal.type !== 'recovery_attempt') continue;
    steps += 1;
    expect(steps).toBeLessThanOrEqual(spec.maxAttempts);
    if (steps === spec.maxAttempts) attemptsCapped = true;
    const key = `${signal.patternId ?? ''}\0${signal.strategy}`;
    const used = (spent.get(key) ?? 0) + 1;
    spent.set(key, used);
    expect(signal.attempt).toBe(used);
    if (signal.strategy === 'retry' || signal.strategy === 'correct') {
      const budget = budgetOf(patterns, signal.patternId);
      expect(used).toBeLessThanOrEqual(budget);
      if (used === budget) budgetReached = true;
    }
  }
  return { budgetReached, attemptsCapped, resets };
}

const sourcesArb = fc.array(scriptArb, { minLength: 1, maxLength: 6 });

/** When to unsubscribe: never, at a frame, during a backoff wait, or while a step's source plays. */
type Moment =
  | { readonly kind: 'never' }
  | { readonly kind: 'frame'; readonly frame: number }
  | { readonly kind: 'wait' | 'step'; readonly pick: number; readonly offset: number };

const momentArb: fc.Arbitrary<Moment> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'never' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('frame' as const),
      frame: fc.integer({ min: 0, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('wait', 'step' as const),
      pick: fc.nat(),
      offset: fc.nat(),
    }),
  },
);

/** The frame to unsubscribe at, from the signals of an undisturbed run of the same scenario. */
function pickMoment(moment: Moment, timeline: () => readonly RecoverySignal[]): number | undefined {
  if (moment.kind === 'never') return undefined;
  if (moment.kind === 'frame') return moment.frame;
  const attempts = timeline().flatMap((s) => (s.type === 'recovery_attempt' ? [s] : []));
  const candidates = attempts.filter((s) =>
    moment.kind === 'wait' ? s.strategy === 'retry' && s.delayMs > 0 : s.strategy !== 'retry',
  );
  const chosen = candidates[moment.pick % Math.max(1, candidates.length)];
  if (chosen === undefined) return moment.offset % 40;
  // A wait started at `at` lasts until its timer at `at + delayMs`; a step's source starts
  // playing at `at` (or after its own wait).
  return moment.kind === 'wait'
    ? chosen.at + 1 + (moment.offset % chosen.delayMs)
    : chosen.at + 1 + (moment.offset % 3);
}

describe('withRecovery under random failure scripts (virtual time)', () => {
  it('keeps every budget, ends every subscription, and delivers every value exactly once, in order', () => {
    const seen = {
      budgetReached: 0,
      attemptsCapped: 0,
      resets: 0,
      escalated: 0,
      untouched: 0,
      completed: 0,
      unsubscribedMidWait: 0,
      unsubscribedMidStep: 0,
      misbehaving: 0,
      valuesAfterRecovery: 0,
      levelValue: 0,
      throwingCallbacks: 0,
    };
    fc.assert(
      fc.property(
        sourcesArb,
        patternsArb,
        optionsArb,
        momentArb,
        (sources, patterns, spec, moment) => {
          const play = (unsubscribeAt: number | undefined) => {
            const log = newLog();
            const scheduler = testScheduler();
            let run: ReturnType<typeof pipeline> | undefined;
            let consumed: ReturnType<typeof consume> | undefined;
            scheduler.run(() => {
              run = pipeline(sources, patterns, spec, log, scheduler, 'p');
              consumed = consume(run.result, log, scheduler, unsubscribeAt);
            });
            if (run === undefined || consumed === undefined) throw new Error('did not run');
            return { log, ...run, ...consumed };
          };
          // Runs are deterministic: a first run shows when the waits and steps happen, and
          // the moment to unsubscribe is picked among them.
          const unsubscribeAt = pickMoment(moment, () => play(undefined).signals);
          const { log, signals, calls, levelValues, received, state } = play(unsubscribeAt);

          // Nothing after the end: no signal, no subscription, no value, no second ending.
          expect(log.violations).toEqual([]);
          if (state.ending?.kind === 'unsubscribed' && state.activeAtEnd > 0) {
            const last = signals.findLast((s) => s.type === 'recovery_attempt');
            if (last !== undefined && last.strategy !== 'retry') seen.unsubscribedMidStep++;
          }
          // Every subscription ends: with a notification, or by the unsubscribe.
          expect(state.ending).toBeDefined();
          if (unsubscribeAt === undefined) expect(state.ending?.kind).not.toBe('unsubscribed');
          // The unsubscribe tore down every scripted source it found running.
          expect(log.active).toBe(0);
          expect(state.leftoverActions).toBe(0);

          // Budgets: retries and corrections per pattern, steps per subscription.
          const reached = checkBudgets(signals, patterns, spec);
          if (reached.budgetReached) seen.budgetReached++;
          if (reached.attemptsCapped && state.ending?.kind !== 'unsubscribed')
            seen.attemptsCapped++;
          seen.resets += reached.resets;

          // Each step subscribed exactly one source: retries the original, alternatives and
          // levels one each, at most once per subscription.
          const attempts = signals.filter((s) => s.type === 'recovery_attempt');
          const stepsOf = (strategy: string) =>
            attempts.filter((s) => s.strategy === strategy).length;
          const retries = stepsOf('retry');
          const sourceSubs = log.subscriptions.get('p/src') ?? 0;
          const lastAttempt = signals.findLast((s) => s.type === 'recovery_attempt');
          // Unsubscribed during the backoff wait of the last retry (an unsubscribe due at the
          // same frame as the timer runs first: it was scheduled first).
          const waiting =
            state.ending?.kind === 'unsubscribed' &&
            lastAttempt?.strategy === 'retry' &&
            lastAttempt.delayMs > 0 &&
            state.ending.at <= lastAttempt.at + lastAttempt.delayMs;
          if (waiting) seen.unsubscribedMidWait++;
          // A retry chosen while the source is still empty of further scripts resubscribes
          // EMPTY, which counts as a subscription of `defer` but not of a scripted source.
          const deferSubs = 1 + retries - (waiting ? 1 : 0);
          expect(sourceSubs).toBeLessThanOrEqual(deferSubs);
          if (!spec.resetOnSuccess) expect(sourceSubs).toBe(deferSubs);
          for (const [id, n] of calls) {
            if (!id.startsWith('correct:')) expect(n).toBeLessThanOrEqual(1);
          }
          const alternativeCalls = [...calls].filter(([id]) => id.startsWith('alt:'));
          expect(stepsOf('alternative')).toBe(alternativeCalls.reduce((sum, [, n]) => sum + n, 0));
          const correctionCalls = [...calls].filter(([id]) => id.startsWith('correct:'));
          expect(stepsOf('correct')).toBe(correctionCalls.reduce((sum, [, n]) => sum + n, 0));
          const served = received.filter((v) => levelValues.has(v));
          const levelSourceCalls = [...calls].filter(([id]) => id.startsWith('level:'));
          expect(stepsOf('degrade')).toBe(
            served.length + levelSourceCalls.reduce((sum, [, n]) => sum + n, 0),
          );
          if (spec.alternatives.some((a) => a.list.some((f) => f.kind === 'throw'))) {
            seen.throwingCallbacks++;
          }

          // Exactly once, in order: what the sources emitted is what the consumer got; a value
          // level's value comes last, once, and completes the stream.
          // A source that calls next after its own error is not heard.
          expect(received.filter((v) => !levelValues.has(v))).toEqual(log.emitted);
          if (sources.some((script) => script.misbehave)) seen.misbehaving++;
          expect(served.length).toBeLessThanOrEqual(1);
          if (served.length === 1) {
            seen.levelValue++;
            expect(received.at(-1)).toBe(served[0]);
            expect(state.ending?.kind).toBe('complete');
          }
          if (log.emitted.some((v) => !v.startsWith('p/src#0.'))) seen.valuesAfterRecovery++;

          // Bounded: the end comes after at most every script played in full plus every wait.
          const waited = attempts.reduce((sum, s) => sum + s.delayMs, 0);
          const played = [...log.subscriptions.values()].reduce((a, b) => a + b, 0);
          expect(state.ending?.at ?? 0).toBeLessThanOrEqual(waited + played * MAX_SCRIPT_FRAMES);

          // A failed recovery ends with the last error, untouched, or an EscalationError caused by it.
          const lastDetected = signals.findLast((s) => s.type === 'error_detected');
          if (state.ending?.kind === 'error') {
            const { error } = state.ending;
            if (isEscalationError(error)) {
              seen.escalated++;
              expect(error.cause).toBe(lastDetected?.error);
            } else {
              seen.untouched++;
              expect(error).toBe(lastDetected?.error);
            }
          }
          if (state.ending?.kind === 'complete') seen.completed++;
          // One recovery_completed per recovery, and only after an error started it.
          const completedCount = signals.filter((s) => s.type === 'recovery_completed').length;
          expect(completedCount).toBeLessThanOrEqual(
            signals.filter((s) => s.type === 'error_detected').length,
          );
        },
      ),
      { numRuns: 1000 },
    );
    // Each interesting case is reached often enough to mean something.
    expect(seen.budgetReached).toBeGreaterThan(30);
    expect(seen.attemptsCapped).toBeGreaterThan(20);
    expect(seen.resets).toBeGreaterThan(50);
    expect(seen.escalated).toBeGreaterThan(40);
    expect(seen.untouched).toBeGreaterThan(200);
    expect(seen.completed).toBeGreaterThan(200);
    expect(seen.unsubscribedMidWait).toBeGreaterThan(10);
    expect(seen.unsubscribedMidStep).toBeGreaterThan(5);
    expect(seen.valuesAfterRecovery).toBeGreaterThan(60);
    expect(seen.levelValue).toBeGreaterThan(12);
    expect(seen.throwingCallbacks).toBeGreaterThan(200);
    expect(seen.misbehaving).toBeGreaterThan(300);
  });

  it('keeps hub statistics consistent with the signals, over pipelines sharing one hub', () => {
    let withBoth = 0;
    let escalations = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(sourcesArb, patternsArb, optionsArb), { minLength: 1, maxLength: 3 }),
        (scenarios) => {
          const hub = createRecoveryHub();
          const all: RecoverySignal[] = [];
          hub.signals.subscribe((signal) => all.push(signal));
          const published: unknown[] = [];
          hub.statistics$.subscribe((stats) => published.push(stats));
          const scheduler = testScheduler();
          const runs: Pipeline[] = [];
          scheduler.run(() => {
            scenarios.forEach(([sources, patterns, spec], i) => {
              const log = newLog();
              const run = pipeline(sources, patterns, spec, log, scheduler, `p${i}`, hub);
              runs.push(run);
              run.result.subscribe({ error: () => {} });
            });
          });
          const stats = hub.snapshot();
          const of = (type: RecoverySignal['type']) => all.filter((s) => s.type === type);
          const completed = all.flatMap((s) => (s.type === 'recovery_completed' ? [s.result] : []));

          // The hub saw exactly what each pipeline signalled, in each pipeline's order.
          runs.forEach((run, i) => {
            expect(all.filter((s) => s.correlationId === `p${i}`)).toEqual(run.signals);
          });
          expect(stats.successful + stats.failed).toBe(stats.totalRecoveries);
          expect(stats.totalRecoveries).toBe(completed.length);
          expect(stats.successful).toBe(completed.filter((r) => r.success).length);
          expect(stats.successRate).toBeGreaterThanOrEqual(0);
          expect(stats.successRate).toBeLessThanOrEqual(1);
          expect(stats.successRate).toBe(
            stats.totalRecoveries === 0 ? 0 : stats.successful / stats.totalRecoveries,
          );
          const attempts = of('recovery_attempt');
          const sum = (counts: Readonly<Record<string, number>>) =>
            Object.values(counts).reduce((a, b) => a + b, 0);
          expect(sum(stats.stepsByStrategy)).toBe(attempts.length);
          for (const [strategy, n] of Object.entries(stats.stepsByStrategy)) {
            expect(
              attempts.filter((s) => s.type === 'recovery_attempt' && s.strategy === strategy),
            ).toHaveLength(n);
          }
          // Recoveries by how they ended: they add up to the total.
          expect(sum(stats.strategiesUsed)).toBe(stats.totalRecoveries);
          for (const [strategy, n] of Object.entries(stats.strategiesUsed)) {
            expect(completed.filter((r) => r.strategyUsed === strategy)).toHaveLength(n);
          }
          expect(sum(stats.byErrorType)).toBe(stats.totalRecoveries);
          expect(stats.escalations).toBe(of('escalated').length);
          const mean =
            completed.length === 0
              ? 0
              : completed.reduce((a, r) => a + r.durationMs, 0) / completed.length;
          expect(stats.averageDurationMs).toBeCloseTo(mean, 9);
          expect(published.at(-1)).toBe(stats);
          if (stats.successful > 0 && stats.failed > 0) withBoth++;
          escalations += stats.escalations;
        },
      ),
      { numRuns: 300 },
    );
    expect(withBoth).toBeGreaterThan(30);
    expect(escalations).toBeGreaterThan(50);
  });
});
