import {
  asyncScheduler,
  from,
  type MonoTypeOperatorFunction,
  Observable,
  type ObservableInput,
  type Observer,
  type SchedulerLike,
  type Subscriber,
  Subscription,
  throwError,
  timer,
} from 'rxjs';
import { z } from 'zod';
import { isRecoveryHub, type RecoveryHub } from '../observability/hub.js';
import { metricsOf, type RecoveryMetric } from '../observability/metrics.js';
import {
  isListening,
  observerErrorSignal,
  type RecoveryAttemptSignal,
  type RecoveryResult,
  type RecoverySignal,
  type SignalObserver,
} from '../observability/signals.js';
import { type Classification, type Classifier, createClassifier } from '../patterns/classifier.js';
import { defaultPatterns } from '../patterns/defaultPatterns.js';
import type { ErrorPattern } from '../patterns/errorPattern.js';
import { errorText } from '../patterns/errorText.js';
import { RecoveryStrategy } from '../patterns/errorTypes.js';
import {
  checkConfig,
  functionOption,
  isRecoveryConfigError,
  RecoveryConfigError,
  SchedulerSchema,
} from '../patterns/RecoveryConfigError.js';
import { type Alternatives, alternativeStrategy } from '../strategies/alternative.js';
import type {
  AttemptContext,
  RecoveryContext,
  RecoveryStep,
  SourceFactory,
  StrategySet,
} from '../strategies/context.js';
import { newCorrelationId } from '../strategies/context.js';
import { builtInCorrections, type CorrectionRule, correctStrategy } from '../strategies/correct.js';
import { type DegradationLevel, degradeStrategy } from '../strategies/degrade.js';
import {
  type EscalationRecord,
  escalateStrategy,
  isEscalationError,
} from '../strategies/escalate.js';
import {
  type ResolvedRetryOptions,
  type RetryOptions,
  RetryOptionsSchema,
  retryStrategy,
} from '../strategies/retry.js';

/**
 * Options of {@link withRecovery}; every field is optional. Validated strictly when the
 * pipe is built: an unknown key such as `maxRetry` is a {@link RecoveryConfigError}.
 *
 * The budget of each `retry` and `correct` step is the pattern's `maxRetries`; each
 * alternative and each degradation level is tried at most once per subscription; and all
 * steps together are bounded by `maxAttempts`.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { createRecoveryHub, withRecovery, type WithRecoveryOptions } from 'rx-recovery';
 *
 * const options: WithRecoveryOptions<string> = {
 *   context: { workflowId: 'codegen-1', nodeName: 'render_template', state: { contract } },
 *   retry: { baseDelayMs: 500, maxDelayMs: 5000, jitter: 'full' },
 *   alternatives: { template_rendering_error: [() => defer(() => render('service.simple.j2'))] },
 *   degradation: { levels: [{ name: 'stub', value: '// TODO: implement' }] },
 *   escalation: { onEscalate: (record) => tickets.open(record) },
 *   hub: createRecoveryHub(),
 * };
 * defer(() => render('service.ts.j2')).pipe(withRecovery(undefined, options)).subscribe(save);
 * // A template error: the simpler template, then the stub if that fails too.
 * ```
 * @typeParam T The type of the values of the recovered stream (and of its alternatives,
 * degradation levels and corrections).
 */
export interface WithRecoveryOptions<T> {
  /** Who is recovering. A `correlationId` is generated per subscription when absent. */
  context?: {
    /** The workflow this pipeline works for; on every signal and escalation record. */
    workflowId?: string;
    /** The step (node) of the workflow; on every signal, and the `nodeName` metric tag. */
    nodeName?: string;
    /** Which step of the workflow this is (a whole number ≥ 0); on escalation records. */
    stepCount?: number;
    /**
     * Free-form state, handed (in the context) to alternatives, degradation levels and
     * correction rules; `state.code` feeds the built-in async-keyword correction.
     */
    state?: Record<string, unknown>;
    /**
     * Ties every signal together. When given, every subscription shares it.
     * @default a new UUID per subscription
     */
    correlationId?: string;
  };
  /** Backoff of `retry` steps. The budget is the pattern's `maxRetries`. */
  retry?: RetryOptions;
  /** Alternative sources by pattern id or error type, tried in order, each once. */
  alternatives?: Record<string, readonly SourceFactory<T>[]>;
  /**
   * Levels of graceful degradation: `levels`, best first, each serving at most once per
   * subscription.
   */
  degradation?: {
    /** The levels, best first; each serves at most once per subscription. */
    levels: readonly DegradationLevel<T>[];
  };
  /** Correction rules, asked before the built-in ones. */
  corrections?: readonly CorrectionRule<T>[];
  /** Run the built-in corrections (the `missing_async_keyword` repair) after yours. @default true */
  builtInCorrections?: boolean;
  /** What an `escalate` step does besides its signal: who is told, and how the stream ends. */
  escalation?: {
    /** Told of every escalation; not awaited. A throw or rejection becomes an `observer_error` signal. */
    onEscalate?: (record: EscalationRecord) => void | Promise<void>;
    /** `'error'` ends the stream with an `EscalationError`; `'complete'` completes it. @default 'error' */
    terminal?: 'error' | 'complete';
  };
  /**
   * The plan for errors no pattern matches; its `retry` and `correct` steps have a budget
   * of 3 each.
   * @default [] (rethrow untouched)
   */
  unmatched?: RecoveryStrategy[];
  /** Recovery steps per subscription (10 → at most 11 subscriptions); then only `escalate` may run. @default 10 */
  maxAttempts?: number;
  /** Receives every {@link RecoverySignal}: a `Subject` or any `{ next }`. */
  signals?: SignalObserver;
  /** Receives the {@link RecoveryMetric}s derived from the signals (success rate per subscription). */
  metrics?: Partial<Observer<RecoveryMetric>>;
  /** A hub shared by many pipelines: signals, metrics and statistics in one place. */
  hub?: RecoveryHub;
  /** Where every wait happens and every timestamp comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** High-resolution clock for `analysisMs`, the one figure that measures CPU work. @default performance.now */
  clock?: () => number;
}

/** A function-valued option, named by its signature in errors. */
export const fn = (signature: string) => functionOption<(...args: never[]) => unknown>(signature);

/** One degradation level: a name and exactly one of `source` or `value`. */
export const LevelSchema = z
  .strictObject({
    name: z.string().min(1),
    source: fn('(context) => ObservableInput').optional(),
    value: z.unknown().optional(),
  })
  .superRefine((level, ctx) => {
    const hasValue = 'value' in level;
    if (hasValue === (level.source !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of source or value',
        input: level,
      });
    }
  });

/** One correction rule. */
export const CorrectionRuleSchema = z.strictObject({
  id: z.string().min(1),
  match: z.union([z.instanceof(RegExp), fn('(error, context) => boolean')]).optional(),
  correct: fn('(error, context) => ObservableInput | undefined'),
});

/**
 * The options every rx-recovery operator takes: who is recovering, where signals and
 * metrics go, and which scheduler and clock to use.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import {
 *   type CommonOptions,
 *   createRecoveryHub,
 *   retryBackoff,
 *   switchToAlternative,
 * } from 'rx-recovery';
 *
 * const common: CommonOptions = {
 *   context: { workflowId: 'codegen-1', nodeName: 'fetch_contract' },
 *   hub: createRecoveryHub(),
 * };
 * defer(() => fetchContract(id))
 *   .pipe(
 *     retryBackoff({ ...common, maxRetries: 2 }),
 *     switchToAlternative([() => cachedContract$], common),
 *   )
 *   .subscribe(render);
 * ```
 */
export interface CommonOptions {
  /** Who is recovering. A `correlationId` is generated per subscription when absent. */
  context?: WithRecoveryOptions<unknown>['context'];
  /** Receives every {@link RecoverySignal}: a `Subject` or any `{ next }`. */
  signals?: SignalObserver;
  /** Receives the {@link RecoveryMetric}s derived from the signals. */
  metrics?: Partial<Observer<RecoveryMetric>>;
  /** A hub shared by many pipelines: signals, metrics and statistics in one place. */
  hub?: RecoveryHub;
  /** Where every wait happens and every timestamp comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** High-resolution clock for `analysisMs`. @default performance.now */
  clock?: () => number;
}

/** Schemas of the {@link CommonOptions}, for each operator's strict options schema. */
export const commonOptionShape = {
  context: z
    .strictObject({
      workflowId: z.string().optional(),
      nodeName: z.string().optional(),
      stepCount: z.number().int().min(0).optional(),
      state: z.record(z.string(), z.unknown()).optional(),
      correlationId: z.string().min(1).optional(),
    })
    .optional(),
  signals: z
    .custom<SignalObserver>((value) => typeof value === 'object' && value !== null, {
      error: 'must be an observer ({ next }) or a Subject',
    })
    .optional(),
  metrics: z
    .custom<Partial<Observer<RecoveryMetric>>>(
      (value) => typeof value === 'object' && value !== null,
      {
        error: 'must be an observer ({ next }) or a Subject',
      },
    )
    .optional(),
  hub: z
    .custom<RecoveryHub>(isRecoveryHub, { error: 'must be a hub from createRecoveryHub()' })
    .optional(),
  scheduler: SchedulerSchema.optional(),
  clock: fn('() => number').optional(),
};

/** Validates {@link WithRecoveryOptions}; strict, so a typo is an error. */
export const WithRecoveryOptionsSchema = z.strictObject({
  ...commonOptionShape,
  retry: RetryOptionsSchema.prefault({}),
  alternatives: z.record(z.string(), z.array(fn('(context) => ObservableInput'))).default({}),
  degradation: z.strictObject({ levels: z.array(LevelSchema) }).optional(),
  corrections: z.array(CorrectionRuleSchema).default([]),
  builtInCorrections: z.boolean().default(true),
  escalation: z
    .strictObject({
      onEscalate: fn('(record) => void | Promise<void>').optional(),
      terminal: z.enum(['error', 'complete']).default('error'),
    })
    .prefault({}),
  unmatched: z.array(z.enum(RecoveryStrategy)).default([]),
  maxAttempts: z.number().int().min(0).default(10),
});

/** Everything the engine needs, validated and with defaults applied. */
export interface EngineConfig<T> {
  readonly classifier: Classifier;
  readonly context: Omit<RecoveryContext, 'correlationId'> & { readonly correlationId?: string };
  readonly retry: ResolvedRetryOptions;
  readonly alternatives: Alternatives<T>;
  readonly levels: readonly DegradationLevel<T>[];
  readonly corrections: readonly CorrectionRule<T>[];
  readonly onEscalate?: (record: EscalationRecord) => void | Promise<void>;
  readonly terminal: 'error' | 'complete';
  /** Budget of `retry` and `correct` steps for errors no pattern matched. */
  readonly unmatchedMaxRetries: number;
  readonly maxAttempts: number;
  readonly signals?: SignalObserver;
  readonly metrics?: Partial<Observer<RecoveryMetric>>;
  readonly hub?: RecoveryHub;
  readonly scheduler: SchedulerLike;
  readonly clock: () => number;
}

const defaultClock = () => performance.now();

/**
 * Validates patterns and options together, so one {@link RecoveryConfigError} names every
 * bad path of both.
 */
export function resolveEngineConfig<T>(
  patterns: readonly ErrorPattern[],
  options: WithRecoveryOptions<T>,
  /**
   * The rules `builtInCorrections: true` adds. Passed in by the operators that offer
   * them, so that the others (and their bundles) never reference the code repair.
   */
  builtInRules: readonly CorrectionRule<unknown>[] = [],
): EngineConfig<T> {
  const root = 'options';
  const lines: string[] = [];
  const { data } = (() => {
    const checked = checkConfig(WithRecoveryOptionsSchema, options, root);
    lines.push(...checked.lines);
    return checked;
  })();
  let classifier: Classifier | undefined;
  try {
    classifier = createClassifier(patterns, { unmatched: data?.unmatched ?? [] });
  } catch (error) {
    if (!isRecoveryConfigError(error)) throw error;
    lines.unshift(...error.issues);
  }
  if (lines.length > 0 || data === undefined || classifier === undefined) {
    throw new RecoveryConfigError(lines);
  }
  const builtIns = data.builtInCorrections ? (builtInRules as readonly CorrectionRule<T>[]) : [];
  return {
    classifier,
    context: Object.freeze({ ...data.context }),
    retry: data.retry,
    alternatives: Object.freeze({ ...(data.alternatives as unknown as Alternatives<T>) }),
    levels: Object.freeze([...((data.degradation?.levels ?? []) as DegradationLevel<T>[])]),
    corrections: Object.freeze([...(data.corrections as CorrectionRule<T>[]), ...builtIns]),
    ...(data.escalation.onEscalate === undefined
      ? {}
      : { onEscalate: data.escalation.onEscalate as (record: EscalationRecord) => void }),
    terminal: data.escalation.terminal,
    unmatchedMaxRetries: 3,
    maxAttempts: data.maxAttempts,
    ...(data.signals === undefined ? {} : { signals: data.signals }),
    ...(data.metrics === undefined ? {} : { metrics: data.metrics }),
    ...(data.hub === undefined ? {} : { hub: data.hub }),
    scheduler: data.scheduler ?? asyncScheduler,
    clock: (data.clock as (() => number) | undefined) ?? defaultClock,
  };
}

/**
 * The subscriber of one source subscription. A `Subscription` with `next`/`error`/
 * `complete` is used by RxJS as the subscriber itself, so unsubscribing it — or the
 * downstream it is added to — stops even a synchronous source at once (as `take(1)`
 * after `range` expects). It finalizes the source before passing an error on, so the
 * source's teardown runs before the next cycle.
 */
class SourceSubscriber<T> extends Subscription implements Observer<T> {
  constructor(private readonly handlers: Observer<T>) {
    super();
  }

  next(value: T): void {
    if (!this.closed) this.handlers.next(value);
  }

  error(error: unknown): void {
    if (this.closed) return;
    this.unsubscribe();
    this.handlers.error(error);
  }

  complete(): void {
    if (this.closed) return;
    this.unsubscribe();
    this.handlers.complete();
  }
}

interface Recovery {
  readonly startedAt: number;
  attempts: number;
  strategyUsed: RecoveryResult['strategyUsed'];
  classification: Classification;
  degradationLevel?: string;
}

/** Index of each strategy in a budget row. */
const STRATEGY_SLOT: Readonly<Record<RecoveryStrategy, number>> = Object.freeze({
  retry: 0,
  alternative: 1,
  degrade: 2,
  correct: 3,
  escalate: 4,
});
/** The budget row of errors no pattern matched. */
const UNMATCHED = Object.freeze({});

/**
 * What a subscription needs once an error arrives, and not before: the happy path never
 * pays for a correlation id, a frozen context or the strategy closures.
 */
interface ErrorState<T> {
  readonly context: RecoveryContext;
  readonly strategies: StrategySet<T>;
  /** Steps taken per pattern (its resolved object; {@link UNMATCHED} for none), by {@link STRATEGY_SLOT}. */
  readonly spent: Map<object, number[]>;
  attemptsTaken: number;
  /** Recoveries finished and succeeded, for the success-rate gauge of `metrics` without a hub. */
  finished: number;
  succeeded: number;
}

/** The engine: what every rx-recovery operator runs, once its configuration is resolved. */
export function recoveryOperator<T>(config: EngineConfig<T>): MonoTypeOperatorFunction<T> {
  const { classifier, scheduler, signals, metrics, hub, maxAttempts, clock } = config;
  /** Whether anybody takes signals: only then are they built. */
  const publishing = signals !== undefined || metrics !== undefined || hub !== undefined;
  /** Classification is timed only for somebody who can see `analysisMs`. */
  const timed = () =>
    isListening(signals) ||
    isListening(metrics) ||
    (hub !== undefined && (hub.signals.observed || hub.metrics.observed));

  return (source) =>
    new Observable<T>((subscriber: Subscriber<T>) => {
      let state: ErrorState<T> | null = null;
      let recovery: Recovery | null = null;
      /** The source to subscribe next, set when an error arrives while a subscribe is under way. */
      let pending: ObservableInput<T> | null = null;
      let subscribing = false;

      const errorState = (): ErrorState<T> => {
        state ??= {
          context: Object.freeze({
            ...config.context,
            correlationId: config.context.correlationId ?? newCorrelationId(),
          }),
          strategies: {
            retry: retryStrategy<T>(config.retry),
            alternative: alternativeStrategy(config.alternatives),
            degrade: degradeStrategy(config.levels),
            correct: correctStrategy(config.corrections),
            escalate: escalateStrategy<T>({ terminal: config.terminal }),
          },
          spent: new Map(),
          attemptsTaken: 0,
          finished: 0,
          succeeded: 0,
        };
        return state;
      };

      const reportObserverError = (
        failed: RecoverySignal,
        error: unknown,
        source: 'signals' | 'metrics',
      ) => {
        if (failed.type !== 'observer_error') emit(observerErrorSignal(failed, error, source));
      };

      function emit(signal: RecoverySignal): void {
        // The hub first: a throwing `signals` observer's report then follows the signal there too.
        hub?.publish(signal);
        if (signals !== undefined) {
          try {
            signals.next?.(signal);
          } catch (error) {
            reportObserverError(signal, error, 'signals');
          }
        }
        if (metrics !== undefined) {
          const counts = errorState();
          if (signal.type === 'recovery_completed') {
            counts.finished += 1;
            if (signal.result.success) counts.succeeded += 1;
          }
          const rate = counts.finished === 0 ? 0 : counts.succeeded / counts.finished;
          for (const metric of metricsOf(signal, rate)) {
            try {
              metrics.next?.(metric);
            } catch (error) {
              reportObserverError(signal, error, 'metrics');
              break;
            }
          }
        }
      }

      const finish = (success: boolean, lastError?: unknown) => {
        const ended = recovery;
        if (ended === null) return;
        recovery = null;
        const current = errorState();
        if (success && config.retry.resetOnSuccess) {
          current.spent.clear();
          current.attemptsTaken = 0;
        }
        if (!publishing) return;
        const { pattern, errorType } = ended.classification;
        const { correlationId, workflowId, nodeName } = current.context;
        const now = scheduler.now();
        const result: RecoveryResult = {
          success,
          strategyUsed: ended.strategyUsed,
          attempts: ended.attempts,
          durationMs: now - ended.startedAt,
          errorType,
          correlationId,
        };
        if (pattern !== undefined) (result as { patternId?: string }).patternId = pattern.id;
        if (ended.degradationLevel !== undefined) {
          (result as { degradationLevel?: string }).degradationLevel = ended.degradationLevel;
        }
        if (!success) (result as { errorMessage?: string }).errorMessage = errorText(lastError);
        emit(
          Object.freeze({
            type: 'recovery_completed',
            at: now,
            correlationId,
            workflowId,
            nodeName,
            result: Object.freeze(result),
          }),
        );
      };

      const handlers: Observer<T> = {
        next: (value) => {
          if (recovery !== null) finish(true);
          subscriber.next(value);
        },
        complete: () => {
          if (recovery !== null) finish(true);
          subscriber.complete();
        },
        error: (error) => recover(error),
      };

      /** Subscribes `first`, and again whatever fails synchronously meanwhile: a loop, not recursion. */
      const subscribeTo = (first: ObservableInput<T>) => {
        let next: ObservableInput<T> | null = first;
        while (next !== null && !subscriber.closed) {
          const inner = new SourceSubscriber(handlers);
          subscriber.add(inner);
          pending = null;
          subscribing = true;
          let input: Observable<T>;
          try {
            input = from(next);
          } catch (notObservable) {
            // A strategy or user callback handed back something that is not an ObservableInput.
            input = throwError(() => notObservable);
          }
          input.subscribe(inner);
          subscribing = false;
          next = pending;
        }
        pending = null;
      };

      const chooseStep = (
        error: unknown,
        classification: Classification,
        ongoing: Recovery,
        current: ErrorState<T>,
        now: number,
      ) => {
        const { pattern, plan, errorType } = classification;
        const maxRetries = pattern?.maxRetries ?? config.unmatchedMaxRetries;
        let budget = current.spent.get(pattern ?? UNMATCHED);
        for (const strategy of plan) {
          const escalating = strategy === 'escalate';
          if (!escalating && current.attemptsTaken >= maxAttempts) continue;
          const slot = STRATEGY_SLOT[strategy];
          const used = budget?.[slot] ?? 0;
          if ((strategy === 'retry' || strategy === 'correct') && used >= maxRetries) continue;
          const attempt = used + 1;
          // The attempt context is built only for a strategy that reads it (retry does not).
          let attemptContext: AttemptContext | undefined;
          const context = (): AttemptContext => {
            attemptContext ??= Object.freeze({
              ...current.context,
              error,
              errorType,
              ...(pattern === undefined ? {} : { patternId: pattern.id }),
              attempt,
            });
            return attemptContext;
          };
          let step: RecoveryStep<T> | null;
          try {
            step = current.strategies[strategy](
              error,
              { context, classification, source, now, recoveryAttempts: ongoing.attempts },
              attempt,
            );
          } catch (thrown) {
            // A user callback (shouldRetry, delayFromError…) threw: the step fails with it.
            step = { kind: 'subscribe', source: throwError(() => thrown), delayMs: 0 };
          }
          if (step === null) continue;
          if (!escalating) {
            if (budget === undefined) {
              budget = [0, 0, 0, 0, 0];
              current.spent.set(pattern ?? UNMATCHED, budget);
            }
            budget[slot] = attempt;
            current.attemptsTaken += 1;
          }
          return { strategy, attempt, step };
        }
        return null;
      };

      const escalate = (record: EscalationRecord, context: RecoveryContext, now: number) => {
        const { correlationId, workflowId, nodeName } = context;
        // Reported even after the stream has ended (escalation ends it at once): the
        // record must reach somebody.
        const report = (error: unknown) =>
          emit(
            observerErrorSignal({ ...context, at: scheduler.now() }, error, 'onEscalate', record),
          );
        if (publishing) {
          emit(
            Object.freeze({
              type: 'escalated',
              at: now,
              correlationId,
              workflowId,
              nodeName,
              record,
            }),
          );
        }
        if (config.onEscalate === undefined) return;
        try {
          const returned: unknown = config.onEscalate(record);
          if (returned !== null && typeof (returned as PromiseLike<unknown>)?.then === 'function') {
            (returned as PromiseLike<unknown>).then(undefined, report);
          }
        } catch (error) {
          report(error);
        }
      };

      function recover(error: unknown): void {
        if (isEscalationError(error)) {
          // Escalated by an inner pipeline: terminal here too, never wrapped again.
          finish(false, error);
          subscriber.error(error);
          return;
        }
        const current = errorState();
        const now = scheduler.now();
        let classification: Classification;
        let analysisMs = 0;
        if (publishing && timed()) {
          const started = clock();
          classification = classifier.classify(error);
          analysisMs = clock() - started;
        } else {
          classification = classifier.classify(error);
        }
        const { correlationId, workflowId, nodeName } = current.context;
        if (publishing) {
          emit(
            Object.freeze({
              type: 'error_detected',
              at: now,
              correlationId,
              workflowId,
              nodeName,
              error,
              classification,
              analysisMs,
            }),
          );
          // A consumer may have unsubscribed from inside that signal: decide nothing more.
          if (subscriber.closed) return;
        }
        if (recovery === null && classification.plan.length === 0) {
          subscriber.error(error); // unmatched and rethrown: not a recovery
          return;
        }
        recovery ??= { startedAt: now, attempts: 0, strategyUsed: 'none', classification };
        const ongoing: Recovery = recovery;
        ongoing.classification = classification;
        const chosen = chooseStep(error, classification, ongoing, current, now);
        if (chosen === null) {
          finish(false, error);
          subscriber.error(error);
          return;
        }
        const { strategy, attempt, step } = chosen;
        ongoing.strategyUsed = strategy;
        if (step.kind === 'escalate') {
          escalate(step.record, current.context, now);
          finish(false, error);
          if (step.complete) subscriber.complete();
          else subscriber.error(step.error);
          return;
        }
        ongoing.attempts += 1;
        if (step.degradationLevel !== undefined) ongoing.degradationLevel = step.degradationLevel;
        if (publishing) {
          const { errorType, pattern } = classification;
          const signal: { -readonly [K in keyof RecoveryAttemptSignal]: RecoveryAttemptSignal[K] } =
            {
              type: 'recovery_attempt',
              at: now,
              correlationId,
              workflowId,
              nodeName,
              strategy: strategy as RecoveryAttemptSignal['strategy'],
              attempt,
              delayMs: step.delayMs,
              errorType,
            };
          if (pattern !== undefined) signal.patternId = pattern.id;
          emit(Object.freeze(signal));
        }
        if (step.delayMs > 0) {
          subscriber.add(timer(step.delayMs, scheduler).subscribe(() => subscribeTo(step.source)));
        } else if (subscribing) {
          pending = step.source;
        } else {
          subscribeTo(step.source);
        }
      }

      subscribeTo(source);
    });
}

/**
 * Recovers a stream from errors: classifies each error against `patterns` and runs the
 * matching pattern's plan — retry with backoff, alternatives, degradation, correction,
 * escalation — publishing every decision as a signal.
 *
 * In plain words: errors become decisions; values and completion pass through untouched,
 * and values sent before an error are never replayed.
 *
 * ```text
 * source:   --a--#                 (#: "Request timed out")
 * retry 1s:       ----------b--|   (operation_timeout → retry, 1 s backoff)
 * result:   --a-------------b--|
 * ```
 *
 * Each error is classified afresh, and the first step of its plan that still has budget
 * runs: `retry` and `correct` up to the pattern's `maxRetries` each, every alternative and
 * degradation level once, all steps together at most `maxAttempts` (10) per subscription;
 * `escalate` can always run. An error whose plan is empty (no pattern matched, by default)
 * or spent goes through untouched.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { withRecovery } from 'rx-recovery';
 *
 * defer(() => callModel(prompt))
 *   .pipe(withRecovery(undefined, {
 *     retry: { baseDelayMs: 500 },
 *     signals: { next: (signal) => console.log(signal.type) },
 *   }))
 *   .subscribe({ next: (code) => console.log(code), error: (error) => console.log(error.name) });
 * // Output, when the model times out once:
 * // error_detected
 * // recovery_attempt          (retry #1, after 0.5 s)
 * // recovery_completed
 * // <the model's answer>
 * // Timing out four times in a row: 3 retries (0.5 s, 1 s, 2 s), then `escalated`,
 * // and the stream ends with an EscalationError
 * ```
 * @param patterns The pattern table; {@link defaultPatterns} when omitted.
 * @param options See {@link WithRecoveryOptions}.
 * @returns An operator that recovers the source it is applied to.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad path.
 * @see retryBackoff, switchToAlternative, degradeGracefully, correctErrors, escalateOn
 */
export function withRecovery<T>(
  patterns: readonly ErrorPattern[] = defaultPatterns,
  options: WithRecoveryOptions<T> = {},
): MonoTypeOperatorFunction<T> {
  return recoveryOperator(resolveEngineConfig(patterns, options, builtInCorrections));
}

/** Standalone operators are bounded by their own budget, not by `maxAttempts`. */
export const UNBOUNDED_ATTEMPTS = Number.MAX_SAFE_INTEGER;

/**
 * The one-pattern table of a standalone operator: every error (or those `match` selects)
 * gets `plan`, under the operator's name as pattern id.
 */
export function singlePattern(
  id: string,
  plan: RecoveryStrategy[],
  maxRetries = 3,
  match: RegExp | string = /(?:)/,
): ErrorPattern[] {
  return [{ id, errorType: 'unknown', match, strategy: plan, maxRetries, priority: 0 }];
}
