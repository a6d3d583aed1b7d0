import fc from 'fast-check';
import { Observable, type SchedulerLike, Subscription } from 'rxjs';
import type { ErrorPattern, RecoveryStrategy } from '../../src/index.js';

/**
 * Random failure scripts for the property tests: what each subscription of a source does,
 * which patterns classify the errors, and which recovery options are given.
 */

/** The errors a script can end with: an Error, a string, a frozen error-like object, an unmatched Error. */
export const errorKinds = ['alpha', 'beta', 'gamma', 'other'] as const;
export type ErrorKind = (typeof errorKinds)[number];

/** Fresh thrown values per run, so identity checks cannot pass by accident across runs. */
export function makeErrors(): Record<ErrorKind, unknown> {
  return {
    alpha: new Error('alpha failure'),
    beta: 'beta failure',
    gamma: Object.freeze({ message: 'gamma failure' }),
    other: new Error('other trouble'),
  };
}

/** One subscription's behaviour: some values, then an error or completion; synchronous or spaced. */
export interface Script {
  readonly values: number;
  /** Frames between events when asynchronous. */
  readonly gap: number;
  readonly sync: boolean;
  /** Breaks the Observable contract: after its ending, it still calls next and error. */
  readonly misbehave: boolean;
  readonly ending:
    | { readonly kind: 'complete' }
    | { readonly kind: 'error'; readonly error: ErrorKind };
}

/** The longest any script runs, in frames. */
export const MAX_SCRIPT_FRAMES = 3 * 4;

export const scriptArb: fc.Arbitrary<Script> = fc.record({
  values: fc.integer({ min: 0, max: 2 }),
  gap: fc.integer({ min: 0, max: 3 }),
  sync: fc.boolean(),
  misbehave: fc.boolean(),
  ending: fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: 'complete' as const }) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...errorKinds).map((error) => ({ kind: 'error' as const, error })),
    },
  ),
});

const strategyArb = fc.constantFrom<RecoveryStrategy>(
  'retry',
  'alternative',
  'degrade',
  'correct',
  'escalate',
);
const planArb = fc.array(strategyArb, { minLength: 1, maxLength: 3 });
const errorTypeArb = fc.constantFrom('transient', 'timeout', 'import' as const);

export interface PatternSpec {
  readonly id: string;
  readonly errorType: 'transient' | 'timeout' | 'import';
  readonly match: RegExp;
  readonly strategy: RecoveryStrategy[];
  readonly maxRetries: number;
  readonly priority: number;
}

/** A table: one optional pattern per matched kind, plus an optional catch-all that overlaps them. */
export const patternsArb: fc.Arbitrary<PatternSpec[]> = fc
  .tuple(
    ...(['alpha', 'beta', 'gamma', 'failure'] as const).map((word) =>
      fc
        .option(
          fc.record({
            errorType: errorTypeArb,
            strategy: planArb,
            maxRetries: fc.integer({ min: 0, max: 3 }),
            priority: fc.integer({ min: 0, max: 9 }),
          }),
          { nil: undefined, freq: 3 },
        )
        .map((spec) =>
          spec === undefined ? undefined : { ...spec, id: `p-${word}`, match: new RegExp(word) },
        ),
    ),
  )
  .map((specs) => specs.filter((spec) => spec !== undefined));

/** How a user callback behaves: hand back a scripted source, decline, or throw. */
export type CallbackKind = 'source' | 'decline' | 'throw';

export interface OptionsSpec {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly resetOnSuccess: boolean;
  readonly unmatched: RecoveryStrategy[];
  readonly terminal: 'error' | 'complete';
  /** Alternatives by key (pattern id or error type): each a script, or a factory that throws. */
  readonly alternatives: ReadonlyArray<{
    readonly key: string;
    readonly list: ReadonlyArray<{ readonly kind: 'source' | 'throw'; readonly script: Script }>;
  }>;
  readonly levels: ReadonlyArray<{
    readonly kind: 'value' | 'source' | 'throw';
    readonly script: Script;
  }>;
  readonly corrections: ReadonlyArray<{
    readonly kind: CallbackKind;
    readonly narrow: boolean;
    readonly script: Script;
  }>;
}

export const optionsArb: fc.Arbitrary<OptionsSpec> = fc
  .record({
    maxAttempts: fc.integer({ min: 0, max: 8 }),
    baseDelayMs: fc.constantFrom(0, 1, 3, 8),
    maxDelayMs: fc.integer({ min: 0, max: 24 }),
    resetOnSuccess: fc.boolean(),
    unmatched: fc.array(strategyArb, { maxLength: 2 }),
    terminal: fc.constantFrom('error', 'complete' as const),
    alternatives: fc.array(
      fc.record({
        key: fc.constantFrom('p-alpha', 'p-beta', 'p-failure', 'transient', 'import', 'unknown'),
        list: fc.array(
          fc.record({
            kind: fc.constantFrom('source', 'source', 'throw' as const),
            script: scriptArb,
          }),
          { maxLength: 2 },
        ),
      }),
      { maxLength: 3 },
    ),
    levels: fc.array(
      fc.record({
        kind: fc.constantFrom('value', 'source', 'source', 'throw' as const),
        script: scriptArb,
      }),
      { maxLength: 3 },
    ),
    corrections: fc.array(
      fc.record({
        kind: fc.constantFrom('source', 'decline', 'throw' as const),
        narrow: fc.boolean(),
        script: scriptArb,
      }),
      { maxLength: 2 },
    ),
  })
  // The cap is never below the base delay (a configuration error otherwise).
  .map((spec) => ({ ...spec, maxDelayMs: Math.max(spec.maxDelayMs, spec.baseDelayMs) }));

/** What a misbehaving script sends after its ending; it must never arrive. */
export const ZOMBIE = 'zombie';

/** Everything scripted sources did during one run. */
export interface ScriptLog {
  /** Every value any scripted source emitted, in the order emitted. */
  readonly emitted: string[];
  /** Subscriptions by source name (`src`, `alt:…`, `level:…`, `correct:…`). */
  readonly subscriptions: Map<string, number>;
  /** Scripted subscriptions not yet torn down. */
  active: number;
  /** Set once the consumer has its final notification or has unsubscribed. */
  ended: boolean;
  readonly violations: string[];
}

export function newLog(): ScriptLog {
  return { emitted: [], subscriptions: new Map(), active: 0, ended: false, violations: [] };
}

/** An observable that plays `script` on `scheduler`, recording into `log`. */
export function scripted(
  name: string,
  script: Script,
  errors: Record<ErrorKind, unknown>,
  log: ScriptLog,
  scheduler: SchedulerLike,
): Observable<string> {
  return new Observable<string>((subscriber) => {
    const n = log.subscriptions.get(name) ?? 0;
    log.subscriptions.set(name, n + 1);
    if (log.ended) log.violations.push(`${name} subscribed after the end`);
    log.active += 1;
    const teardown = new Subscription(() => {
      log.active -= 1;
    });
    const emit = (i: number) => {
      if (subscriber.closed) return;
      const value = `${name}#${n}.${i}`;
      log.emitted.push(value);
      subscriber.next(value);
    };
    const end = () => {
      if (subscriber.closed) return;
      if (script.ending.kind === 'complete') subscriber.complete();
      else subscriber.error(errors[script.ending.error]);
      if (script.misbehave) {
        // Straight at the subscriber it was given, as a hand-written source might.
        subscriber.next(ZOMBIE);
        subscriber.error(errors.alpha);
        subscriber.complete();
      }
    };
    if (script.sync) {
      for (let i = 0; i < script.values; i++) emit(i);
      end();
      return teardown;
    }
    const frame = script.gap + 1;
    for (let i = 0; i < script.values; i++) {
      teardown.add(scheduler.schedule(() => emit(i), frame * (i + 1)));
    }
    teardown.add(scheduler.schedule(end, frame * (script.values + 1)));
    return teardown;
  });
}

/** The patterns as the engine takes them. */
export function toPatterns(specs: readonly PatternSpec[]): ErrorPattern[] {
  return specs.map((spec) => ({ ...spec }));
}
