import {
  catchError,
  defer,
  from,
  type InteropObservable,
  isObservable,
  type MonoTypeOperatorFunction,
  NEVER,
  Observable,
  of,
  type Subscription,
  throwError,
} from 'rxjs';
import { mentionsMissingAsync } from './codegen/mentionsMissingAsync.js';
import {
  anObject,
  boolean,
  check,
  fn,
  number,
  type Rule,
  shape,
  string,
  throwIfAny,
} from './config/check.js';
import { isRecoveryConfigError, RecoveryConfigError } from './config/RecoveryConfigError.js';
import { createRecoveryHub, type RecoveryHub } from './observability/hub.js';
import type { RecoveryResult, SignalObserver } from './observability/signals.js';
import type { RecoveryStatistics } from './observability/statistics.js';
import { engineConfig } from './operators/engine/config.js';
import type { EngineConfig } from './operators/engine/engine.js';
import { recoveryOperator } from './operators/engine/engine.js';
import {
  classifierFor,
  resolveRecoveryConfig,
  type WithRecoveryOptions,
} from './operators/withRecovery.js';
import type { Classifier } from './patterns/classifier.js';
import { defaultPatterns } from './patterns/defaultPatterns.js';
import type { ErrorPattern, ResolvedErrorPattern } from './patterns/errorPattern.js';
import { errorText } from './patterns/errorText.js';
import type { RecoveryStrategy } from './patterns/errorTypes.js';
import {
  type AttemptContext,
  type ContextOptions,
  newCorrelationId,
} from './strategies/context.js';
import type { CorrectionRule } from './strategies/correct.js';

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
   *
   * The repair is loaded on demand, when the orchestrator is made (its own chunk in your
   * bundle); an error that arrives before it has loaded waits for it. `false` loads nothing.
   * See {@link ErrorRecoveryOrchestrator} and {@link ErrorRecoveryOrchestrator.ready}.
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
 * It describes how the call ended:
 * - the operation succeeded with no error to recover from: `success: true`,
 *   `strategyUsed: 'none'`, `attempts: 0`;
 * - an error no pattern matches (rethrown, not recovered): `success: false`,
 *   `strategyUsed: 'none'`, `errorType: 'unknown'`, and its `errorMessage`;
 * - otherwise the result of the call's last recovery (a call may hold several: each
 *   starts with an error after a healthy moment). If an error nothing recovers ends the
 *   call after that recovery had succeeded — a retry emitted, then failed with an
 *   unmatched error — it is `success: false` with that error's `errorMessage`, and the
 *   other fields stay the recovery's: `strategyUsed` and `attempts` what it ran,
 *   `durationMs` how long it took to succeed, `errorType` the type of the error that
 *   started it, `patternId` (and `metadata`, `degradationLevel`) the pattern whose plan
 *   ran last. The hub's statistics still count that recovery as a success: the result is
 *   the call's, the statistics the recoveries'.
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
  /**
   * The last value of what ran last — the operation's succeeding attempt, or what
   * recovered it (an alternative, a correction, a degradation level, an escalation's
   * resolution) — present only with `success: true` (absent when that emitted nothing). A value emitted before an error is
   * nobody's result: neither an attempt that then failed, nor a stream that completed
   * after a failed recovery (`escalation.terminal: 'complete'`) gives one.
   */
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
const operationRule: Rule = /* @__PURE__ */ fn('(state, { signal, attempt }) => value');

/** `Symbol.observable` where the platform has it, else RxJS's fallback name. */
const observableKey: string | symbol =
  (Symbol as { observable?: symbol }).observable || '@@observable';

/**
 * What an operation returned, as a stream: an Observable or InteropObservable is one; a
 * PromiseLike is awaited; anything else — a string, an array, a number, `undefined` — is
 * the value itself, never iterated.
 */
function resultStream<T>(returned: unknown): Observable<T> {
  if (isObservable(returned)) return returned as Observable<T>;
  const object = (typeof returned === 'object' && returned) || {};
  return typeof (object as Record<string | symbol, unknown>)[observableKey] === 'function'
    ? from(returned as InteropObservable<T>)
    : typeof (object as PromiseLike<T>).then === 'function'
      ? from(Promise.resolve(returned as PromiseLike<T>))
      : of(returned as T);
}

/**
 * The correction behind `builtInCorrections` — `asyncKeywordCorrection`'s rule and code
 * repair, from `rx-recovery/codegen` — once loaded: `undefined` until then, `null` when
 * loading failed. One load serves every orchestrator of the program.
 */
let loaded: CorrectionRule<string> | null | undefined;
/** The load, started by the first orchestrator with `builtInCorrections`. */
let loading: Promise<void> | undefined;

/**
 * Starts loading the correction, once. A dynamic import: a user's bundler (Vite/Rollup,
 * webpack, esbuild with splitting) puts it in a chunk of its own, fetched only when an
 * orchestrator with `builtInCorrections` is made, so the main entry stays an RxJS core.
 * That chunk imports nothing of the main entry (the rule is handed `mentionsMissingAsync`),
 * so it shares no module with it. (Our ESM build keeps one file per module, so the import
 * stays as written; the CommonJS bundle inlines the module: the import becomes a resolved
 * promise.)
 *
 * @returns The load: it rejects, with the cause, when loading failed (only `ready()` passes
 * that on); after a failure, the next call loads again.
 */
function load(): Promise<void> {
  if (loading === undefined) {
    loading = import('./codegen/missingAsyncRule.js').then((module) => {
      loaded = module.missingAsyncRule(mentionsMissingAsync);
    });
    loading.catch(() => {
      // Declined until a later load succeeds: the next orchestrator made, or the next
      // `ready()`, tries again (a chunk fetch may fail for a moment).
      loaded = null;
      loading = undefined;
    });
  }
  return loading;
}

/**
 * The built-in correction as the engine sees it: the loaded rule's `match` and `correct`.
 * No error reaches the engine before the load has settled (see {@link hold}), so the
 * engine decides as if the rule had been there from the start; were loading to fail, it
 * declines, as for code it cannot repair, and the plan moves on.
 */
const builtInCorrection: CorrectionRule<string> = {
  id: 'missing_async_keyword',
  correct: (error, context) =>
    loaded && (loaded.match as (error: unknown, context: AttemptContext) => boolean)(error, context)
      ? loaded.correct(error, context)
      : undefined,
};

/**
 * `source`, except that an error it sends while the repair is loading waits for the load
 * to settle before it reaches the engine. Once loaded, errors pass at once (synchronously).
 */
const hold = <T>(source: Observable<T>): Observable<T> =>
  source.pipe(
    catchError((error: unknown) => {
      if (loaded !== undefined) throw error;
      return (loading as Promise<never>).finally(() => {
        throw error;
      });
    }),
  );

/**
 * The promise-style facade of the original design, over the same engine: one pattern
 * table and one hub shared by `handleError` and by the operators it hands out.
 *
 * In plain words: `withRecovery` for code that catches errors with `try/catch`.
 *
 * **The built-in correction loads on demand.** With `builtInCorrections` (the default), the
 * correction (its rule and the `repairMissingAsync` code repair, ~5.5 KB gzipped) is not
 * part of the main entry: the first such orchestrator starts loading it (a dynamic
 * `import()`, which a bundler serves as a chunk of its own; one load for the whole
 * program). Until it has
 * loaded, an operation — or, for {@link ErrorRecoveryOrchestrator.operator}, the source —
 * runs as usual (it is called, subscribed and its values delivered at once), but an
 * **error** it sends waits for the load before recovery starts; from then on nothing
 * waits. What recovery decides — attempts, signals, statistics — is the same either way;
 * only such an early error reaches the engine later (and its timestamps with it). One
 * exception: the wait happens inside the attempt, so with an `attemptTimeoutMs` shorter
 * than the load, that attempt times out instead (and, with a `breaker`, counts as a
 * timeout there).
 * `await orchestrator.ready()` first where that matters, e.g. before virtual-time tests
 * (`TestScheduler.run`), which cannot wait for a real import. With
 * `builtInCorrections: false` nothing is loaded and nothing ever waits.
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
  /** The engine's configuration; each operator gets a copy with its context. */
  readonly #base: EngineConfig<unknown>;
  readonly #unmatched: readonly RecoveryStrategy[];
  /** The patterns in the order given: configuration errors name positions in it. */
  #table: readonly ErrorPattern[];
  #classifier: Classifier;
  /** Whether `builtInCorrections` is on: then errors may wait for the repair to load. */
  readonly #builtIn: boolean;
  /** A breaker guards the operation: every table has the `circuit_open` pattern. */
  readonly #guarded: boolean;

  /**
   * Validates the patterns and options together, once. With `builtInCorrections`, starts
   * loading the code repair (see the class's notes).
   *
   * @param options See {@link OrchestratorOptions}; all optional.
   * @throws RecoveryConfigError naming every bad pattern and option.
   */
  constructor(options: OrchestratorOptions = {}) {
    const { patterns = defaultPatterns, builtInCorrections = true, ...rest } = options;
    const issues: string[] = [];
    boolean(builtInCorrections, 'options.builtInCorrections', issues);
    this.hub = rest.hub ?? createRecoveryHub();
    let resolved: EngineConfig<unknown> | undefined;
    try {
      resolved = resolveRecoveryConfig(patterns, {
        ...rest,
        hub: this.hub,
        // Something else than an array is left as it is, for the check to name it.
        corrections:
          builtInCorrections === true &&
          (rest.corrections === undefined || Array.isArray(rest.corrections))
            ? [...(rest.corrections ?? []), builtInCorrection]
            : rest.corrections,
      });
    } catch (error) {
      if (!isRecoveryConfigError(error)) throw error;
      issues.unshift(...error.issues);
    }
    throwIfAny(issues);
    const config = resolved as EngineConfig<unknown>;
    this.#table = [...patterns];
    this.#unmatched = rest.unmatched ?? [];
    this.#guarded = rest.breaker !== undefined;
    this.#classifier = config.classifier as Classifier; // resolveRecoveryConfig compiles a full one
    // Every operator of this orchestrator classifies through the current table: later
    // changes count.
    this.#base = engineConfig(config, {
      ...config,
      classifier: { classify: (error) => this.#classifier.classify(error) },
    });
    this.#builtIn = builtInCorrections;
    if (builtInCorrections) load();
  }

  /**
   * Settles once this orchestrator has nothing left to load: at once with
   * `builtInCorrections: false`, else when the code repair has loaded (it rejects, with
   * the cause, when loading failed; the built-in correction then declines every error).
   * Not needed for correct results; await it where an early error must not wait, such as
   * before a virtual-time test.
   *
   * @example
   * ```ts
   * import { TestScheduler } from 'rxjs/testing';
   * import { ErrorRecoveryOrchestrator } from 'rx-recovery';
   *
   * const orchestrator = new ErrorRecoveryOrchestrator({
   *   degradation: { levels: [{ name: 'stub', value: 'stub' }] },
   * });
   * await orchestrator.ready(); // the repair has loaded: nothing waits in virtual time
   * new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
   *   ({ cold, expectObservable }) => {
   *     const invalid = cold('-#', undefined, new Error('ValidationError: bad field'));
   *     expectObservable(invalid.pipe(orchestrator.operator())).toBe('-(s|)', { s: 'stub' });
   *   },
   * );
   * ```
   * @returns A promise that resolves when nothing is left to load.
   */
  async ready(): Promise<void> {
    if (this.#builtIn) await load();
  }

  /**
   * The current patterns, validated and highest priority first.
   *
   * @example
   * ```ts
   * new ErrorRecoveryOrchestrator().patterns.map((pattern) => pattern.id);
   * // → ['missing_async_keyword', 'import_not_found', 'template_rendering_error',
   * //    'validation_failed', 'quorum_consensus_failed', 'operation_timeout',
   * //    'rate_limited', 'service_unavailable', 'network_transient']
   * ```
   */
  get patterns(): readonly ResolvedErrorPattern[] {
    return this.#classifier.patterns;
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
    const table = [...this.#table, pattern];
    try {
      this.#use(table);
    } catch (error) {
      if (!isRecoveryConfigError(error)) throw error;
      // Name the argument, not its place in the table (nor the other's: the table's own
      // order is not `patterns`' order).
      const at = `patterns[${table.length - 1}]`;
      throw new RecoveryConfigError(
        error.issues
          .filter((line) => line.startsWith(at))
          .map((line) =>
            `pattern${line.slice(at.length)}`.replace(
              / \(first at patterns\[\d+\]\)$/,
              ' (a pattern of the table has it)',
            ),
          ),
      );
    }
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
    const table = this.#table.filter((pattern) => pattern.id !== id);
    if (table.length === this.#table.length) return false;
    this.#use(table);
    return true;
  }

  /** Compiles `table` (or throws, changing nothing) and makes it the current one. */
  #use(table: readonly ErrorPattern[]): void {
    this.#classifier = classifierFor(table, this.#unmatched, this.#guarded);
    this.#table = table;
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
   * With `builtInCorrections`, a source piped before the code repair has loaded is
   * subscribed and delivers its values at once, as with `withRecovery`; only an error it
   * sends before the load waits for it (see the class's notes, and {@link ready}).
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
    return this.#operator<T>(recovery);
  }

  /**
   * Recovers an operation. With `context.error`, recovery starts from that error's
   * classification and a retry calls `operation(context.state)` again; without it,
   * the operation runs first. Resolves with the {@link RecoveryResult} of how the call
   * ended and, on success, the last value of what succeeded; resolves `success: false`
   * when recovery fails, when an error no pattern matches ends the call (with
   * `strategyUsed: 'none'` when nothing was recovered before), or when one does after a
   * recovery succeeded (see {@link HandledError}).
   * Rejects only on misuse (an invalid context, an operation that is not a function).
   *
   * With `builtInCorrections`, a call made before the code repair has loaded runs the
   * operation at once; an error (`context.error` too) waits for the load before recovery
   * starts (see the class's notes, and {@link ready}).
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
      operationRule(operation, 'operation', issues);
      throwIfAny(issues); // rejects
      const { signal: cancel } = options;
      if (cancel?.aborted === true) return reject(cancel.reason);
      /** Read afresh each time: the operation itself may abort the signal. */
      const aborted = () => cancel?.aborted === true;
      const { error: caught, state = {} as S, ...recovery } = context;
      const correlationId = recovery.correlationId ?? newCorrelationId();
      // -1: the first subscription rethrows the caught error; then it counts the calls.
      let calls = 'error' in context ? -1 : 0;
      const source = defer(() => {
        // Cancelled during a synchronous retry loop (by the operation itself): call no more;
        // the subscription ends as soon as it is known, below.
        if (aborted()) return NEVER;
        if (calls++ < 0) return throwError(() => caught);
        const attempt = calls;
        return new Observable<T>((subscriber) => {
          const controller = new AbortController();
          subscriber.add(() => controller.abort());
          // A throwing operation errors the attempt: RxJS catches a throw here.
          return resultStream<T>(
            operation(state, Object.freeze({ signal: controller.signal, attempt })),
          ).subscribe(subscriber);
        });
      });

      /** The result of this call's last recovery, as its `recovery_completed` published it. */
      let result: RecoveryResult | undefined;
      /** The last value since the last error: the value of the attempt that is running. */
      let value: { value: T } | undefined;
      const own = this.#base.signals;
      /**
       * Resolves with how the call ended: its last recovery's result, or none; but an error
       * that ends the stream after that recovery succeeded makes it `success: false` with
       * this error's text (the other fields stay the recovery's). A value only with success.
       */
      const finish = (success: boolean, error?: unknown) => {
        let ended: RecoveryResult;
        if (result === undefined) {
          ended = {
            success,
            strategyUsed: 'none',
            attempts: 0,
            durationMs: 0,
            errorType: 'unknown',
            ...(success ? {} : { errorMessage: errorText(error) }),
            correlationId,
          };
        } else if (!success && result.success) {
          const { correlationId: id, ...recovered } = result;
          ended = {
            ...recovered,
            success: false,
            errorMessage: errorText(error),
            correlationId: id,
          };
        } else {
          ended = result;
        }
        resolve(Object.freeze({ ...ended, ...(ended.success ? value : undefined) }));
      };
      const abort = () => {
        subscription?.unsubscribe();
        reject(cancel?.reason);
      };
      let subscription: Subscription | undefined;
      cancel?.addEventListener('abort', abort, { once: true });
      subscription = this.#operator<T>(
        { ...recovery, state, correlationId },
        // Keeps this call's result, and still tells the `signals` observer of the options.
        {
          next: (signal) => {
            if (signal.type === 'recovery_completed') result = signal.result;
            // The attempt that emitted it failed: its value is nobody's result.
            else if (signal.type === 'error_detected') value = undefined;
            own?.next?.(signal);
          },
        },
      )(source).subscribe({
        next: (emitted) => {
          value = { value: emitted };
        },
        complete: () => finish(true),
        error: (error: unknown) => finish(false, error),
      });
      // However it ends (at once, perhaps), stop listening.
      subscription.add(() => cancel?.removeEventListener('abort', abort));
      // Aborted while subscribing (by the operation itself): `abort` found nothing to end.
      if (aborted()) subscription.unsubscribe();
    });
  }

  /**
   * The engine's operator for `context`, publishing to `signals` (the options' by
   * default); with `builtInCorrections`, a source piped before the repair has loaded is
   * held (see {@link hold}).
   */
  #operator<T>(
    context: ContextOptions,
    signals: SignalObserver | undefined = this.#base.signals,
  ): MonoTypeOperatorFunction<T> {
    const base = this.#base as EngineConfig<T>;
    // engineConfig reads the common options (here: the base's) and takes the rest from `base`.
    const recover = recoveryOperator(
      engineConfig<T>({ ...base, context: { ...base.context, ...context }, signals }, base),
    );
    return (source) => recover(this.#builtIn && loaded === undefined ? hold(source) : source);
  }
}
