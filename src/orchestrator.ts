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

/** Options of the {@link ErrorRecoveryOrchestrator}: the `withRecovery` options plus a pattern table. */
export interface OrchestratorOptions extends Omit<WithRecoveryOptions<unknown>, 'context'> {
  /** The starting pattern table. @default defaultPatterns */
  patterns?: readonly ErrorPattern[];
}

/** Where an error happened, and — when the caller already caught it — the error itself. */
export interface HandleErrorContext {
  workflowId?: string;
  nodeName?: string;
  stepCount?: number;
  /** Handed to the operation on every attempt; `state.code` feeds the async-keyword correction. */
  state?: Record<string, unknown>;
  correlationId?: string;
  /** The error that already happened: recovery starts from its classification. */
  error?: unknown;
}

/** What {@link ErrorRecoveryOrchestrator.handleError} resolves with. */
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

  /** @throws RecoveryConfigError naming every bad pattern and option. */
  constructor(options: OrchestratorOptions = {}) {
    const { patterns = defaultPatterns, ...rest } = options;
    this.hub = rest.hub ?? createRecoveryHub();
    this.base = resolveEngineConfig(patterns, { ...rest, hub: this.hub });
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

  /** The current patterns, highest priority first. */
  get patterns(): readonly ResolvedErrorPattern[] {
    return this.classifier.patterns;
  }

  /**
   * Adds a pattern (validated; its id must be new). It takes effect at once, for
   * `handleError` and for every operator this orchestrator handed out.
   * @throws RecoveryConfigError naming every bad path.
   */
  addErrorPattern(pattern: ErrorPattern): void {
    const table = [...this.table, pattern];
    this.classifier = createClassifier(table, { unmatched: this.unmatched });
    this.table = table;
  }

  /** Removes the pattern with this id; returns whether there was one. */
  removeErrorPattern(id: string): boolean {
    const table = this.table.filter((pattern) => pattern.id !== id);
    if (table.length === this.table.length) return false;
    this.classifier = createClassifier(table, { unmatched: this.unmatched });
    this.table = table;
    return true;
  }

  /** The hub's statistics now. */
  getStatistics(): RecoveryStatistics {
    return this.hub.snapshot();
  }

  /** The same recovery as an operator, for pipes; it shares this orchestrator's patterns and hub. */
  operator<T>(context: Omit<HandleErrorContext, 'error'> = {}): MonoTypeOperatorFunction<T> {
    const { error: _, ...recovery } = parseConfig(HandleErrorContextSchema, context, 'context');
    return recoveryOperator(this.config<T>(recovery));
  }

  /**
   * Recovers an operation. With `context.error`, recovery starts from that error's
   * classification and a retry calls `operation(context.state)` again; without it,
   * the operation runs first. Resolves with the {@link RecoveryResult} and the last value
   * the operation emitted; resolves `success: false` when recovery fails.
   * Rejects only on misuse (an invalid context, an operation that is not a function).
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
      const capture: Partial<Observer<RecoverySignal>> = {
        next: (signal) => {
          if (signal.type === 'recovery_completed') result = signal.result;
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
              ...(result ?? untroubled(correlationId)),
              ...(value === undefined ? {} : value),
            }),
          ),
        error: (error: unknown) =>
          resolve(Object.freeze(result ?? unrecovered(correlationId, error))),
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

/** The result when the operation succeeded with no error to recover from. */
function untroubled(correlationId: string): RecoveryResult {
  return {
    success: true,
    strategyUsed: 'none',
    attempts: 0,
    durationMs: 0,
    errorType: ErrorType.UNKNOWN,
    correlationId,
  };
}

/** The result for an error that was rethrown without a recovery (no plan for it). */
function unrecovered(correlationId: string, error: unknown): RecoveryResult {
  return {
    success: false,
    strategyUsed: 'none',
    attempts: 0,
    durationMs: 0,
    errorType: ErrorType.UNKNOWN,
    errorMessage: errorText(error),
    correlationId,
  };
}
