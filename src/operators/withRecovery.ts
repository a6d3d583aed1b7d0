import { type Observable, type ObservableInput, type SchedulerLike, timeout } from 'rxjs';
import {
  arrayOf,
  delay,
  isEmptyOptions,
  number,
  recordOf,
  shape,
  throwIfAny,
} from '../config/check.js';
import { isRecoveryConfigError } from '../config/RecoveryConfigError.js';
import {
  type BreakerProtocol,
  breakerProtocolOf,
  breakerRule,
  type CircuitBreaker,
} from '../fleet/circuitBreaker.js';
import { circuitOpenPattern } from '../fleet/circuitOpenPattern.js';
import { DeadlineExceededError } from '../fleet/DeadlineExceededError.js';
import {
  type BudgetProtocol,
  budgetProtocolOf,
  budgetRule,
  type RetryBudget,
} from '../fleet/retryBudget.js';
import { throughBreaker } from '../fleet/throughBreaker.js';
import {
  type Classifier,
  createClassifier,
  defaultTableClassifier,
  planRule,
} from '../patterns/classifier.js';
import { defaultPatterns } from '../patterns/defaultPatterns.js';
import type { ErrorPattern } from '../patterns/errorPattern.js';
import { ErrorType, type RecoveryStrategy } from '../patterns/errorTypes.js';
import { alternativeStrategy, factoryRule } from '../strategies/alternative.js';
import type { SourceFactory } from '../strategies/context.js';
import { type CorrectionRule, correctionRuleRule, correctStrategy } from '../strategies/correct.js';
import { type DegradationLevel, degradeStrategy, levelRule } from '../strategies/degrade.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import { escalateStrategy } from '../strategies/escalate.js';
import type { Resolution } from '../strategies/resolution.js';
import {
  type RetryOptions,
  resolveRetryOptions,
  retryOptionRules,
  retryStrategy,
} from '../strategies/retry.js';
import { attemptContext } from './engine/attemptContext.js';
import { type CommonOptions, commonRules, engineConfig } from './engine/config.js';
import { type EngineConfig, recoveryOperator } from './engine/engine.js';
import { escalation } from './engine/escalation.js';
import { escalationRules, pauseOption } from './engine/escalationOptions.js';
import { attemptTimeouts, budgetOf, recoveryDeadline } from './engine/fleetOptions.js';

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
export interface WithRecoveryOptions<T> extends CommonOptions {
  /** Backoff of `retry` steps. The budget is the pattern's `maxRetries`. */
  retry?: RetryOptions | undefined;
  /**
   * Alternative sources by pattern id or error type, tried in order, each once. A key that
   * names neither a pattern id of the table nor an error type is a configuration error.
   */
  alternatives?: Readonly<Record<string, readonly SourceFactory<T>[]>> | undefined;
  /**
   * Levels of graceful degradation: `levels`, best first, each serving at most once per
   * subscription.
   */
  degradation?: {
    /** The levels, best first; each serves at most once per subscription. */
    levels: readonly DegradationLevel<T>[];
  };
  /**
   * Correction rules, asked in order. There are no hidden ones: a stream gets the
   * corrections listed here (`asyncKeywordCorrection` from `rx-recovery/codegen` for a
   * stream of code).
   */
  corrections?: readonly CorrectionRule<T>[] | undefined;
  /** What an `escalate` step does besides its signal: who is told, and how the stream ends. */
  escalation?: {
    /** Told of every escalation; not awaited. A throw or rejection becomes an `observer_error` signal. */
    onEscalate?: ((record: EscalationRecord) => void | Promise<void>) | undefined;
    /** `'error'` ends the stream with an `EscalationError`; `'complete'` completes it. @default 'error' */
    terminal?: 'error' | 'complete' | undefined;
    /**
     * Wait for a person instead of ending the stream: the subscription stays open, nothing is
     * replayed, and the first valid {@link Resolution} — from `resolve`, else from
     * `hub.resolveEscalation(record.id, …)` — resumes it. `timeoutMs` ends the wait as a
     * terminal escalation. Needs a `hub` or `resolve`.
     * @default false
     */
    await?:
      | boolean
      | {
          /** End the wait as a terminal escalation after this long (scheduler time). */
          timeoutMs?: number;
        }
      | undefined;
    /** Asked for the resolution of a waiting escalation (a dialog, a ticket's answer…). */
    resolve?: ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined;
  };
  /**
   * The plan for errors no pattern matches; its `retry` and `correct` steps have a budget
   * of 3 each.
   * @default [] (rethrow untouched)
   */
  unmatched?: readonly RecoveryStrategy[] | undefined;
  /** Recovery steps per subscription (10 → at most 11 subscriptions); then only `escalate` may run. @default 10 */
  maxAttempts?: number | undefined;
  /**
   * Each attempt — a subscription of the source, an alternative or a degradation level —
   * that neither emits nor completes within it is unsubscribed and fails with an error
   * named `TimeoutError`, classified like any other (`operation_timeout` by default).
   * @default none
   */
  attemptTimeoutMs?: number | undefined;
  /**
   * A recovery that has not succeeded within it, from its first error, stops: the ongoing
   * attempt is unsubscribed, a backoff that would end at it or past it is not waited, and the stream
   * errors with a {@link DeadlineExceededError} (`cause`: the last error) — or escalates,
   * when the plan has `escalate`. An escalation ends the deadline: a wait for a person
   * (`escalation.await`) is not cut short by it, nor is what the person's resolution resumes.
   * @default none
   */
  deadlineMs?: number | undefined;
  /**
   * A circuit breaker that every subscription of the source — its first call and every
   * retry — runs through; alternatives, degradation levels and corrections do not (pipe a
   * breaker of their own into them). The built-in `circuit_open` pattern (priority 11:
   * alternative → degrade → escalate) is added to the table, so a plan never retries into
   * an open circuit. Errors count against it as its `countsAsFailure` says, given this
   * table's classification.
   */
  breaker?: CircuitBreaker | undefined;
  /**
   * A retry budget shared with other pipelines: each subscription deposits one request
   * (unless an operator downstream sharing the budget did for it), each `retry` and
   * `correct` step withdraws one; a step the budget cannot pay is skipped
   * (a `retry_budget_exhausted` signal) and the plan moves on.
   */
  budget?: RetryBudget | undefined;
}

/** `attemptTimeoutMs`, `deadlineMs`. */
const duration = /* @__PURE__ */ delay();

const withRecoveryRules = /* @__PURE__ */ shape({
  ...commonRules,
  retry: /* @__PURE__ */ shape(retryOptionRules),
  alternatives: /* @__PURE__ */ recordOf(/* @__PURE__ */ arrayOf(factoryRule)),
  degradation: /* @__PURE__ */ shape({ levels: /* @__PURE__ */ arrayOf(levelRule) }, ['levels']),
  corrections: /* @__PURE__ */ arrayOf(correctionRuleRule),
  escalation: /* @__PURE__ */ shape(escalationRules),
  unmatched: planRule,
  maxAttempts: /* @__PURE__ */ number({ min: 0, int: true }),
  attemptTimeoutMs: duration,
  deadlineMs: duration,
  breaker: breakerRule,
  budget: budgetRule,
});

let circuitTable: Classifier | undefined;

/**
 * The classifier of a `withRecovery` call: the default table's is compiled once. With a
 * breaker, the table has the `circuit_open` pattern (added unless it is there already).
 */
export function classifierFor(
  patterns: readonly ErrorPattern[],
  unmatched: readonly RecoveryStrategy[],
  guarded: boolean,
): Classifier {
  if (patterns === defaultPatterns && !unmatched.length) {
    if (!guarded) return defaultTableClassifier();
    circuitTable ??= createClassifier([...defaultPatterns, circuitOpenPattern]);
    return circuitTable;
  }
  const table =
    !guarded || patterns.some((pattern) => pattern?.id === circuitOpenPattern.id)
      ? patterns
      : [...patterns, circuitOpenPattern];
  return createClassifier(table, { unmatched });
}

const ERROR_TYPES: readonly string[] = /* @__PURE__ */ Object.values(ErrorType);

/**
 * Checks patterns and options together, so one {@link RecoveryConfigError} names every
 * bad path of both, and resolves them into the engine's configuration.
 */
export function resolveRecoveryConfig<T>(
  patterns: readonly ErrorPattern[],
  options: WithRecoveryOptions<T>,
): EngineConfig<T> {
  const issues: string[] = [];
  withRecoveryRules(options, 'options', issues);
  const { budget, attemptTimeoutMs, deadlineMs, escalation: escalating = {} } = options;
  const protocol = breakerProtocolOf(options.breaker);
  let classifier: Classifier | undefined;
  try {
    const unmatched = Array.isArray(options.unmatched) ? options.unmatched : [];
    classifier = classifierFor(patterns, unmatched, protocol !== undefined);
  } catch (error) {
    if (!isRecoveryConfigError(error)) throw error;
    // The classifier checks `unmatched` again: a problem the options' check named already is
    // one line, not two.
    issues.unshift(...error.issues.filter((line) => !issues.includes(line)));
  }
  const retry = resolveRetryOptions(options.retry ?? {}, 'options.retry', issues);
  const table = classifier?.patterns;
  for (const key of table ? Object.keys(options.alternatives ?? {}) : []) {
    if (!ERROR_TYPES.includes(key) && !table?.some((pattern) => pattern.id === key)) {
      issues.push(
        `options.alternatives.${key}: names neither a pattern id of the table nor an error type`,
      );
    }
  }
  const pause = pauseOption<T>(
    escalating.await,
    escalating.resolve,
    options.hub,
    'options.escalation',
    issues,
  );
  throwIfAny(issues);
  // Copies: what the options hold now is what every subscription gets.
  const alternatives = Object.fromEntries(
    Object.entries(options.alternatives ?? {}).map(([key, list]) => [key, [...list]]),
  );
  const levels = [...(options.degradation?.levels ?? [])];
  const corrections = [...(options.corrections ?? [])];
  const { terminal } = escalating;
  return engineConfig<T>(options, {
    classifier: classifier as Classifier,
    strategies: () => ({
      retry: retryStrategy<T>(retry),
      alternative: alternativeStrategy(alternatives),
      degrade: degradeStrategy(levels),
      correct: correctStrategy(corrections),
      escalate: escalateStrategy<T>({ terminal }),
    }),
    resetOnSuccess: retry.resetOnSuccess,
    unmatchedMaxRetries: 3,
    maxAttempts: options.maxAttempts ?? 10,
    attemptContext,
    attach:
      attemptTimeoutMs === undefined
        ? undefined
        : attemptTimeouts(attemptTimeoutMs, protocol !== undefined),
    escalate: escalation(escalating.onEscalate, pause),
    deadline:
      deadlineMs === undefined
        ? undefined
        : recoveryDeadline(deadlineMs, (cause) => new DeadlineExceededError(deadlineMs, cause)),
    guard:
      protocol &&
      guardSource<T>(protocol, classifier as Classifier, attemptTimeoutMs, options.scheduler),
    ...(budget && budgetOf<T>(budgetProtocolOf(budget) as BudgetProtocol)),
  });
}

/**
 * Runs every subscription of the source through the breaker. With `attemptTimeoutMs`, the
 * source's attempts are timed inside the breaker, so a call that hangs counts against it.
 */
function guardSource<T>(
  protocol: BreakerProtocol,
  classifier: Classifier,
  attemptTimeoutMs: number | undefined,
  scheduler: SchedulerLike | undefined,
): (source: Observable<T>) => Observable<T> {
  const call = throughBreaker<T>(protocol, (error) => classifier.classify(error));
  if (attemptTimeoutMs === undefined) return call;
  const timed = timeout<T, never>({ first: attemptTimeoutMs, ...(scheduler && { scheduler }) });
  return (source) => call(timed(source));
}

/**
 * What {@link withRecovery} returns: an operator for a source of any type `S`, whose
 * recovered stream emits `S` or what recovery adds (`T`: alternatives, degradation
 * levels, corrections and resolutions emit `T`). With none of those, `T` is `never`: the
 * operator keeps the source's type.
 *
 * @example
 * ```ts
 * import { type Observable, of } from 'rxjs';
 * import { type RecoveryOperator, withRecovery } from 'rx-recovery';
 *
 * const orStub: RecoveryOperator<null> = withRecovery(undefined, {
 *   degradation: { levels: [{ name: 'none', value: null }] },
 * });
 * declare const user$: Observable<{ id: string }>;
 * const maybeUser$ = user$.pipe(orStub); // Observable<{ id: string } | null>
 * ```
 * @typeParam T What recovery adds to the stream.
 */
export type RecoveryOperator<T> = <S>(source: Observable<S>) => Observable<S | T>;

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
 * or spent goes through untouched. There are no hidden rules: corrections, alternatives
 * and degradation levels are the ones the options list.
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
export function withRecovery<T = never>(
  patterns: readonly ErrorPattern[] = defaultPatterns,
  options: WithRecoveryOptions<T> = {},
): RecoveryOperator<T> {
  // The source's type S is the caller's: what recovery adds (alternatives, levels,
  // corrections, a person's value) widens it to S | T, as degradeGracefully does.
  if (patterns === defaultPatterns && isEmptyOptions(options)) {
    // Nothing varies: one operator serves every call (its state is born per subscription).
    defaultOperator ??= recoveryOperator(resolveRecoveryConfig<never>(patterns, {}));
    return defaultOperator as RecoveryOperator<T>;
  }
  return recoveryOperator(resolveRecoveryConfig(patterns, options)) as RecoveryOperator<T>;
}

let defaultOperator: unknown;
