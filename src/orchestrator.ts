import {
  defer,
  from,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type Observer,
  throwError,
} from 'rxjs';
import { z } from 'zod';
import { createRecoveryHub, type RecoveryHub } from './observability/hub.js';
import type { RecoveryResult, RecoverySignal } from './observability/signals.js';
import type { RecoveryStatistics } from './observability/statistics.js';
import {
  type EngineConfig,
  recoveryOperator,
  resolveEngineConfig,
  type WithRecoveryOptions,
} from './operators/withRecovery.js';
import { type Classifier, createClassifier } from './patterns/classifier.js';
import { defaultPatterns } from './patterns/defaultPatterns.js';
import type { ErrorPattern, ResolvedErrorPattern } from './patterns/errorPattern.js';
import { errorText } from './patterns/errorText.js';
import { ErrorType } from './patterns/errorTypes.js';
import { parseConfig, RecoveryConfigError } from './patterns/RecoveryConfigError.js';
import { newCorrelationId } from './strategies/context.js';
import { builtInCorrections } from './strategies/correct.js';

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
  patterns?: readonly ErrorPattern[];
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
export interface HandleErrorContext {
  /** The workflow the operation works for; on every signal and escalation record. */
  workflowId?: string;
  /** The step (node) of the workflow; on every signal, and the `nodeName` metric tag. */
  nodeName?: string;
  /** Which step of the workflow this is (a whole number ≥ 0); on escalation records. */
  stepCount?: number;
  /** Handed to the operation on every attempt; `state.code` feeds the async-keyword correction. */
  state?: Record<string, unknown>;
  /**
   * Ties the recovery's signals and result together; when absent, a new UUID is made per
   * `handleError` call (per subscription, for {@link ErrorRecoveryOrchestrator.operator}).
   */
  correlationId?: string;
  /** The error that already happened: recovery starts from its classification. */
  error?: unknown;
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
  readonly value?: T;
};

const HandleErrorContextSchema = z.strictObject({
  workflowId: z.string().optional(),
  nodeName: z.string().optional(),
  stepCount: z.number().int().min(0).optional(),
  state: z.record(z.string(), z.unknown()).optional(),
  correlationId: z.string().min(1).optional(),
  error: z.unknown().optional(),
});

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
    const { patterns = defaultPatterns, ...rest } = options;
    this.hub = rest.hub ?? createRecoveryHub();
    this.base = resolveEngineConfig(patterns, { ...rest, hub: this.hub }, builtInCorrections);
    this.table = [...patterns];
    this.unmatched = rest.unmatched ?? [];
    this.classifier = this.base.classifier;
    const self = this;
    this.live = {
      get patterns() {
        return self.classifier.patterns;
      },
      classify: (error) => self.classifier.classify(error),
      explain: (error) => self.classifier.explain(error),
    };
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
    this.classifier = createClassifier(table, { unmatched: this.unmatched });
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
  operator<T>(context: Omit<HandleErrorContext, 'error'> = {}): MonoTypeOperatorFunction<T> {
    const { error: _, ...recovery } = parseConfig(HandleErrorContextSchema, context, 'context');
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
  handleError<T>(
    context: HandleErrorContext,
    operation: (state: Record<string, unknown>) => ObservableInput<T>,
  ): Promise<HandledError<T>> {
    return new Promise<HandledError<T>>((resolve, reject) => {
      let parsed: z.output<typeof HandleErrorContextSchema>;
      try {
        parsed = parseConfig(HandleErrorContextSchema, context, 'context');
        if (typeof operation !== 'function') {
          throw new RecoveryConfigError([
            'operation: must be a function (state) => ObservableInput',
          ]);
        }
      } catch (error) {
        reject(error);
        return;
      }
      const { error: caught, ...recovery } = parsed;
      const correlationId = recovery.correlationId ?? newCorrelationId();
      const state = recovery.state ?? {};
      let pendingError = 'error' in context;
      const source = defer(() => {
        if (pendingError) {
          pendingError = false;
          return throwError(() => caught);
        }
        return from(operation(state));
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
      const operator = recoveryOperator<T>({
        ...this.config<T>({ ...recovery, correlationId }),
        signals: capture,
      });
      let value: { value: T } | undefined;
      operator(source).subscribe({
        next: (emitted) => {
          value = { value: emitted };
        },
        complete: () =>
          resolve(
            Object.freeze({
              ...(result ?? noRecovery(correlationId, true)),
              ...(value === undefined ? {} : value),
            }),
          ),
        error: (error: unknown) =>
          resolve(Object.freeze(result ?? noRecovery(correlationId, false, error))),
      });
    });
  }

  private config<T>(context: Omit<HandleErrorContext, 'error'>): EngineConfig<T> {
    return {
      ...(this.base as EngineConfig<T>),
      classifier: this.live,
      context: Object.freeze({ ...this.base.context, ...context }),
    };
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
