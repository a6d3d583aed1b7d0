import {
  defer,
  from,
  type InteropObservable,
  isObservable,
  type MonoTypeOperatorFunction,
  Observable,
  type Observer,
  of,
  type Subscription,
  throwError,
} from 'rxjs';
import { asyncKeywordCorrection } from './codegen/asyncKeywordCorrection.js';
import {
  anObject,
  boolean,
  check,
  number,
  type Rule,
  shape,
  string,
  throwIfAny,
} from './config/check.js';
import { isRecoveryConfigError, RecoveryConfigError } from './config/RecoveryConfigError.js';
import { createRecoveryHub, type RecoveryHub } from './observability/hub.js';
import type { RecoveryResult, RecoverySignal } from './observability/signals.js';
import type { RecoveryStatistics } from './observability/statistics.js';
import { engineConfig } from './operators/engine/config.js';
import type { EngineConfig } from './operators/engine/engine.js';
import { recoveryOperator } from './operators/engine/engine.js';
import { resolveRecoveryConfig, type WithRecoveryOptions } from './operators/withRecovery.js';
import { type Classifier, createClassifier } from './patterns/classifier.js';
import { defaultPatterns } from './patterns/defaultPatterns.js';
import type { ErrorPattern, ResolvedErrorPattern } from './patterns/errorPattern.js';
import { errorText } from './patterns/errorText.js';
import { ErrorType } from './patterns/errorTypes.js';
import { type ContextOptions, newCorrelationId } from './strategies/context.js';

/**
 * Options of the {@link ErrorRecoveryOrchestrator}: the `withRecovery` options (but
 * `context`, given per call) plus a pattern table. A hub is created when none is given.
 *
 * @example
 * ```ts
 * import {
 *   createRecoveryHub,
 *   defaultPatterns,
 *   ErrorRecoveryOrchestrator,
 *   type OrchestratorOptions,
 * } from 'rx-recovery';
 *
 * const options: OrchestratorOptions = {
 *   patterns: [
 *     ...defaultPatterns,
 *     {
 *       id: 'rate_limited',
 *       errorType: 'transient',
 *       match: /\b429\b/,
 *       strategy: ['retry', 'escalate'],
 *       maxRetries: 5,
 *     },
 *   ],
 *   retry: { baseDelayMs: 250, jitter: 'full' },
 *   degradation: { levels: [{ name: 'reduced schema', value: reducedSchema }] },
 *   escalation: { onEscalate: (record) => tickets.open(record) },
 *   hub: createRecoveryHub(),
 * };
 * const orchestrator = new ErrorRecoveryOrchestrator(options);
 * ```
 */
export interface OrchestratorOptions extends Omit<WithRecoveryOptions<unknown>, 'context'> {
  /**
   * The starting pattern table; change it later with `addErrorPattern` and
   * `removeErrorPattern`.
   * @default defaultPatterns
   */
  patterns?: readonly ErrorPattern[] | undefined;
  /**
   * Add `asyncKeywordCorrection` (the `missing_async_keyword` repair of generated code)
   * after the `corrections` given: the original design's orchestrator repairs code. The
   * repaired code is a string: turn this off when the operations return anything else.
   * @default true
   */
  builtInCorrections?: boolean | undefined;
}

/**
 * Where an error happened, and — when the caller already caught it — the error itself.
 * Validated strictly: an unknown key is a {@link RecoveryConfigError}.
 *
 * @example
 * ```ts
 * import { ErrorRecoveryOrchestrator, type HandleErrorContext } from 'rx-recovery';
 *
 * const orchestrator = new ErrorRecoveryOrchestrator();
 * try {
 *   await generateModel(state);
 * } catch (error) {
 *   const context: HandleErrorContext = {
 *     workflowId: 'codegen-1',
 *     nodeName: 'model_generator',
 *     stepCount: 5,
 *     state,
 *     error,
 *   };
 *   await orchestrator.handleError(context, (s) => generateModel(s));
 * }
 * ```
 */
export interface HandleErrorContext<S extends object = Record<string, unknown>>
  extends Omit<ContextOptions, 'state'> {
  /**
   * Handed to every call of the operation by identity: the same object, never copied or
   * frozen, so the operation's mutations are the caller's. A class instance is fine.
   * `state.code` feeds the async-keyword correction.
   * @default {} (a new object per call of `handleError`)
   */
  state?: S | undefined;
  /** The error that already happened: recovery starts from its classification. */
  error?: unknown | undefined;
}

/**
 * What the operation of {@link ErrorRecoveryOrchestrator.handleError} is told about its
 * attempt.
 *
 * @example
 * ```ts
 * import { ErrorRecoveryOrchestrator, type OperationAttempt } from 'rx-recovery';
 *
 * const generate = (state: { prompt: string }, { signal, attempt }: OperationAttempt) =>
 *   fetch(`/generate?try=${attempt}`, { method: 'POST', body: state.prompt, signal }).then((r) => r.text());
 * await new ErrorRecoveryOrchestrator().handleError({ state: { prompt } }, generate);
 * ```
 */
export interface OperationAttempt {
  /** Aborted when this attempt ends, however it ends: pass it to `fetch` and friends. */
  readonly signal: AbortSignal;
  /** Which call of the operation this is, from 1. */
  readonly attempt: number;
}

/**
 * Options of one {@link ErrorRecoveryOrchestrator.handleError} call.
 *
 * @example
 * ```ts
 * import { ErrorRecoveryOrchestrator, type HandleErrorOptions } from 'rx-recovery';
 *
 * const options: HandleErrorOptions = { signal: AbortSignal.timeout(30_000) };
 * await new ErrorRecoveryOrchestrator().handleError({ state }, generate, options);
 * ```
 */
export interface HandleErrorOptions {
  /**
   * Cancels the recovery: the promise rejects with the signal's reason, the ongoing attempt
   * is aborted and no timer survives.
   */
  signal?: AbortSignal | undefined;
}

/**
 * What {@link ErrorRecoveryOrchestrator.handleError} resolves with: the
 * {@link RecoveryResult} plus the last value. Frozen.
 *
 * When the operation succeeded with no error to recover from, it is `success: true`,
 * `strategyUsed: 'none'`, `attempts: 0`; for an error no pattern matches (rethrown, not
 * recovered) it is `success: false`, `strategyUsed: 'none'`, `errorType: 'unknown'`.
 *
 * @example
 * ```ts
 * import { ErrorRecoveryOrchestrator, type HandledError } from 'rx-recovery';
 *
 * const orchestrator = new ErrorRecoveryOrchestrator();
 * const handled: HandledError<string> = await orchestrator.handleError(
 *   { nodeName: 'model_generator', error: new Error('Model request timed out') },
 *   () => generateCode(prompt),
 * );
 * // → { success: true, strategyUsed: 'retry', attempts: 1, durationMs: 1000,
 * //     errorType: 'timeout', patternId: 'operation_timeout', correlationId: '…',
 * //     value: '<the generated code>' }
 * if (!handled.success) console.error(handled.errorMessage);
 * ```
 * @typeParam T The type of the values the operation emits.
 */
export type HandledError<T> = RecoveryResult & {
  /** The last value the recovered operation emitted, when it succeeded. */
  readonly value?: T | undefined;
};

const contextRule: Rule = /* @__PURE__ */ shape({
  workflowId: /* @__PURE__ */ string(),
  nodeName: /* @__PURE__ */ string(),
  stepCount: /* @__PURE__ */ number({ min: 0, int: true }),
  state: /* @__PURE__ */ anObject('must be an object'),
  correlationId: /* @__PURE__ */ string(true),
  error: () => {},
});
const handleErrorOptionsRule: Rule = /* @__PURE__ */ shape({
  signal: /* @__PURE__ */ anObject('must be an AbortSignal'),
});

/** `Symbol.observable` where the platform has it, else RxJS's fallback name. */
const observableKey: string | symbol =
  (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) ||
  '@@observable';

/**
 * What an operation returned, as a stream: an Observable or InteropObservable is one; a
 * PromiseLike is awaited; anything else — a string, an array, a number, `undefined` — is
 * the value itself, never iterated.
 */
function resultStream<T>(returned: unknown): Observable<T> {
  if (isObservable(returned)) return returned as Observable<T>;
  if (typeof returned === 'object' && returned !== null) {
    if (typeof (returned as Record<string | symbol, unknown>)[observableKey] === 'function') {
      return from(returned as InteropObservable<T>);
    }
    if (typeof (returned as PromiseLike<T>).then === 'function') {
      return from(Promise.resolve(returned as PromiseLike<T>));
    }
  }
  return of(returned as T);
}

/**
 * The promise-style facade of the original design, over the same engine: one pattern
 * table and one hub shared by `handleError` and by the operators it hands out.
 *
 * In plain words: `withRecovery` for code that catches errors with `try/catch`.
 *
 * @example
 * ```ts
 * import { ErrorRecoveryOrchestrator } from 'rx-recovery';
 *
 * const orchestrator = new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 200 } });
 * try {
 *   await generate(state);
 * } catch (error) {
 *   const result = await orchestrator.handleError(
 *     { workflowId: 'codegen-1', nodeName: 'model_generator', stepCount: 5, state, error },
 *     (s) => generate(s),
 *   );
 *   console.log(result.success, result.strategyUsed, result.value);
 * }
 * // Output: true retry <the generated code>
 * ```
 */
export class ErrorRecoveryOrchestrator {
  /** Signals, metrics and statistics of every recovery run through this orchestrator. */
  readonly hub: RecoveryHub;
  private readonly base: EngineConfig<unknown>;
  private readonly unmatched: WithRecoveryOptions<unknown>['unmatched'];
  private table: readonly ErrorPattern[];
  private classifier: Classifier;
  /** A classifier that always reads the current table, so operators see later changes. */
  private readonly live: Classifier;

  /**
   * Validates the patterns and options together, once.
   *
   * @param options See {@link OrchestratorOptions}; all optional.
   * @throws RecoveryConfigError naming every bad pattern and option.
   */
  constructor(options: OrchestratorOptions = {}) {
    const { patterns = defaultPatterns, builtInCorrections = true, ...rest } = options;
    const issues: string[] = [];
    boolean(builtInCorrections, 'options.builtInCorrections', issues);
    let base: EngineConfig<unknown> | undefined;
    this.hub = rest.hub ?? createRecoveryHub();
    const corrections = Array.isArray(rest.corrections) ? rest.corrections : [];
    try {
      base = resolveRecoveryConfig(patterns, {
        ...rest,
        hub: this.hub,
        ...(builtInCorrections === true
          ? { corrections: [...corrections, asyncKeywordCorrection] }
          : {}),
      });
    } catch (error) {
      if (!isRecoveryConfigError(error)) throw error;
      issues.unshift(...error.issues);
    }
    throwIfAny(issues);
    const resolved = base as EngineConfig<unknown>;
    this.table = [...patterns];
    this.unmatched = rest.unmatched ?? [];
    this.classifier = resolved.classifier as Classifier; // resolveRecoveryConfig compiles a full one
    const self = this;
    this.live = {
      get patterns() {
        return self.classifier.patterns;
      },
      classify: (error) => self.classifier.classify(error),
      explain: (error) => self.classifier.explain(error),
    };
    // Every operator of this orchestrator classifies through `live`: later table changes count.
    this.base = engineConfig(resolved, { ...resolved, classifier: this.live });
  }

  /**
   * The current patterns, validated and highest priority first.
   *
   * @example
   * ```ts
   * new ErrorRecoveryOrchestrator().patterns.map((pattern) => pattern.id);
   * // → ['missing_async_keyword', 'import_not_found', 'template_rendering_error',
   * //    'validation_failed', 'quorum_consensus_failed', 'operation_timeout']
   * ```
   */
  get patterns(): readonly ResolvedErrorPattern[] {
    return this.classifier.patterns;
  }

  /**
   * Adds a pattern (validated against the whole table; its id must be new). It takes
   * effect at once, for `handleError` and for every operator this orchestrator handed out.
   *
   * @example
   * ```ts
   * orchestrator.addErrorPattern({
   *   id: 'custom_validation_error',
   *   errorType: 'validation',
   *   match: 'ValidationError.*missing.*field',
   *   strategy: 'degrade',
   *   maxRetries: 2,
   *   priority: 9, // above the default validation_failed (6)
   * });
   * ```
   * @param pattern The pattern to add; see {@link ErrorPattern}.
   * @throws RecoveryConfigError naming every bad path; the table is then unchanged.
   */
  addErrorPattern(pattern: ErrorPattern): void {
    const table = [...this.table, pattern];
    try {
      this.classifier = createClassifier(table, { unmatched: this.unmatched });
    } catch (error) {
      if (!isRecoveryConfigError(error)) throw error;
      // Name the argument, not its place in the table.
      const at = `patterns[${table.length - 1}]`;
      throw new RecoveryConfigError(
        error.issues
          .filter((line) => line.startsWith(at))
          .map((line) => `pattern${line.slice(at.length)}`),
      );
    }
    this.table = table;
  }

  /**
   * Removes the pattern with this id, at once for `handleError` and every operator handed
   * out.
   *
   * @example
   * ```ts
   * orchestrator.removeErrorPattern('validation_failed'); // → true
   * orchestrator.removeErrorPattern('validation_failed'); // → false: already gone
   * ```
   * @param id The pattern's `id`.
   * @returns Whether there was such a pattern.
   */
  removeErrorPattern(id: string): boolean {
    const table = this.table.filter((pattern) => pattern.id !== id);
    if (table.length === this.table.length) return false;
    this.classifier = createClassifier(table, { unmatched: this.unmatched });
    this.table = table;
    return true;
  }

  /**
   * The hub's statistics now: `hub.snapshot()`. They include every pipeline publishing
   * to the same hub, not only this orchestrator's recoveries.
   *
   * @example
   * ```ts
   * orchestrator.getStatistics();
   * // → { totalRecoveries: 2, successful: 1, failed: 1, successRate: 0.5,
   * //     averageDurationMs: 2000, strategiesUsed: { retry: 3 },
   * //     byErrorType: { timeout: 1, quorum: 1 }, escalations: 1 }
   * ```
   * @returns The current {@link RecoveryStatistics}.
   */
  getStatistics(): RecoveryStatistics {
    return this.hub.snapshot();
  }

  /**
   * The same recovery as an operator, for pipes; it shares this orchestrator's patterns
   * (including later changes) and hub.
   *
   * @example
   * ```ts
   * import { defer } from 'rxjs';
   *
   * defer(() => generateModel(state))
   *   .pipe(orchestrator.operator({ workflowId: 'codegen-1', nodeName: 'model_generator' }))
   *   .subscribe(save);
   * ```
   * @param context Who is recovering; see {@link HandleErrorContext} (without `error`).
   * @returns An operator that recovers the source, like `withRecovery`.
   * @throws RecoveryConfigError, at once, for an invalid context.
   */
  operator<T>(context: ContextOptions = {}): MonoTypeOperatorFunction<T> {
    check(contextRule, context, 'context');
    const { error: _, ...recovery } = context as HandleErrorContext<object>;
    return recoveryOperator(this.config<T>(recovery));
  }

  /**
   * Recovers an operation. With `context.error`, recovery starts from that error's
   * classification and a retry calls `operation(context.state)` again; without it,
   * the operation runs first. Resolves with the {@link RecoveryResult} and the last value
   * the operation emitted; resolves `success: false` when recovery fails (or, for an
   * error no pattern matches, with `strategyUsed: 'none'`).
   * Rejects only on misuse (an invalid context, an operation that is not a function).
   *
   * @example
   * ```ts
   * import { ErrorRecoveryOrchestrator } from 'rx-recovery';
   *
   * const orchestrator = new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 200 } });
   * const result = await orchestrator.handleError(
   *   {
   *     workflowId: 'codegen-1',
   *     nodeName: 'model_generator',
   *     state,
   *     error: new Error('Model request timed out'),
   *   },
   *   (s) => generateModel(s),
   * );
   * // → { success: true, strategyUsed: 'retry', attempts: 1, durationMs: 200,
   * //     errorType: 'timeout', patternId: 'operation_timeout', correlationId: '…',
   * //     value: <the model> }
   * ```
   * @param context Where the error happened, and optionally the error; see
   * {@link HandleErrorContext}.
   * @param operation Runs the work: called with `context.state` (or `{}`) on the first
   * run and on every retry; returns a promise, an observable or any `ObservableInput`.
   * @returns A promise of the {@link HandledError}: never rejected because recovery failed.
   */
  handleError<T, S extends object = Record<string, unknown>>(
    context: HandleErrorContext<S>,
    operation: (
      state: S,
      attempt: OperationAttempt,
    ) => T | PromiseLike<T> | Observable<T> | InteropObservable<T>,
    options: HandleErrorOptions = {},
  ): Promise<HandledError<T>> {
    return new Promise<HandledError<T>>((resolve, reject) => {
      const issues: string[] = [];
      contextRule(context, 'context', issues);
      handleErrorOptionsRule(options, 'options', issues);
      if (typeof operation !== 'function') {
        issues.push('operation: must be a function (state, { signal, attempt }) => value');
      }
      if (issues.length > 0) {
        reject(new RecoveryConfigError(issues));
        return;
      }
      const { signal: cancel } = options;
      if (cancel?.aborted === true) {
        reject(cancel.reason);
        return;
      }
      const { error: caught, state: given, ...recovery } = context;
      const correlationId = recovery.correlationId ?? newCorrelationId();
      const state = given ?? ({} as S);
      let pendingError = 'error' in context;
      let calls = 0;
      const source = defer(() => {
        if (pendingError) {
          pendingError = false;
          return throwError(() => caught);
        }
        calls += 1;
        const attempt = calls;
        return new Observable<T>((subscriber) => {
          const controller = new AbortController();
          subscriber.add(() => controller.abort());
          let returned: unknown;
          try {
            returned = operation(state, Object.freeze({ signal: controller.signal, attempt }));
          } catch (thrown) {
            subscriber.error(thrown);
            return;
          }
          return resultStream<T>(returned).subscribe(subscriber);
        });
      });

      let result: RecoveryResult | undefined;
      const own = this.base.signals;
      // Keeps this call's result, and still tells the `signals` observer of the options.
      const capture: Partial<Observer<RecoverySignal>> = {
        next: (signal) => {
          if (signal.type === 'recovery_completed') result = signal.result;
          own?.next?.(signal);
        },
      };
      const operator = recoveryOperator<T>(
        this.config<T>({ ...recovery, state, correlationId }, capture),
      );
      let value: { value: T } | undefined;
      const onAbort = () => {
        subscription?.unsubscribe();
        reject(cancel?.reason);
      };
      const settle = () => cancel?.removeEventListener('abort', onAbort);
      let subscription: Subscription | undefined;
      cancel?.addEventListener('abort', onAbort, { once: true });
      subscription = operator(source).subscribe({
        next: (emitted: T) => {
          value = { value: emitted };
        },
        complete: () => {
          settle();
          resolve(
            Object.freeze({
              ...(result ?? noRecovery(correlationId, true)),
              ...(value === undefined ? {} : value),
            }),
          );
        },
        error: (error: unknown) => {
          settle();
          resolve(Object.freeze(result ?? noRecovery(correlationId, false, error)));
        },
      });
    });
  }

  /** The engine's configuration for `context`, and `signals` (the options' by default). */
  private config<T>(context: ContextOptions, signals = this.base.signals): EngineConfig<T> {
    const base = this.base as EngineConfig<T>;
    const { metrics, hub, scheduler, clock } = base;
    return engineConfig<T>(
      { context: { ...base.context, ...context }, signals, metrics, hub, scheduler, clock },
      base,
    );
  }
}

/**
 * The result when no recovery took place: the operation succeeded with nothing to
 * recover from, or an error no pattern matched was rethrown.
 */
function noRecovery(correlationId: string, success: boolean, error?: unknown): RecoveryResult {
  return {
    success,
    strategyUsed: 'none',
    attempts: 0,
    durationMs: 0,
    errorType: ErrorType.UNKNOWN,
    ...(success ? {} : { errorMessage: errorText(error) }),
    correlationId,
  };
}
