import {
  asyncScheduler,
  type Observable,
  type Observer,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import {
  anObject,
  fn,
  number,
  observer,
  type Rule,
  satisfies,
  scheduler,
  shape,
  string,
} from '../../config/check.js';
import { isRecoveryHub, type RecoveryHub } from '../../observability/hub.js';
import type { RecoveryMetric } from '../../observability/metrics.js';
import type { SignalObserver } from '../../observability/signals.js';
import type { Classification, Classifier } from '../../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { ContextOptions } from '../../strategies/context.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import type { StrategySet } from '../../strategies/strategy.js';
import type { PauseInput } from './awaitEscalation.js';

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
  context?: ContextOptions;
  /** Receives every {@link RecoverySignal}: a `Subject` or any `{ next }`. */
  signals?: SignalObserver;
  /** Receives the {@link RecoveryMetric}s derived from the signals. */
  metrics?: Partial<Observer<RecoveryMetric>>;
  /** A hub shared by many pipelines: signals, metrics and statistics in one place. */
  hub?: RecoveryHub;
  /** Where every wait happens and every timestamp comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** High-resolution clock for `analysisMs`, the one figure that measures CPU work. @default performance.now */
  clock?: () => number;
}

/** The checks of {@link CommonOptions}, spread into each operator's option shape. */
export const commonRules: Readonly<Record<keyof CommonOptions, Rule>> =
  /* @__PURE__ */ Object.freeze({
    context: /* @__PURE__ */ shape({
      workflowId: /* @__PURE__ */ string(),
      nodeName: /* @__PURE__ */ string(),
      stepCount: /* @__PURE__ */ number({ min: 0, int: true }),
      state: /* @__PURE__ */ anObject('must be an object'),
      correlationId: /* @__PURE__ */ string(true),
    }),
    signals: observer,
    metrics: observer,
    hub: /* @__PURE__ */ satisfies(isRecoveryHub, 'must be a hub from createRecoveryHub()'),
    scheduler,
    clock: /* @__PURE__ */ fn('() => number'),
  });

/** What the engine asks of a classifier: `createClassifier`'s, or an operator's constant one. */
export type ClassifyFn = Pick<Classifier, 'classify'>;

/** Everything the engine needs, checked and with defaults applied. */
export interface EngineConfig<T> {
  readonly classifier: ClassifyFn;
  /** The `context` option, frozen; the correlation id is made per subscription when absent. */
  readonly context: Readonly<ContextOptions>;
  /** The strategies of one subscription, made when its first error arrives. */
  readonly strategies: () => Partial<StrategySet<T>>;
  /** Whether a value or completion after a recovery resets the budgets (`retry.resetOnSuccess`). */
  readonly resetOnSuccess: boolean;
  readonly onEscalate?: (record: EscalationRecord) => void | Promise<void>;
  /**
   * Escalation that waits (`escalation.await`): given the pending record and how to resume,
   * returns the wait. Passed in by the operators that offer it, so the others never carry it.
   */
  readonly pause?: (input: PauseInput<T>) => Subscription;
  /** Each attempt must emit or complete within this long, else it fails with a `TimeoutError`. */
  readonly attemptTimeoutMs?: number;
  /**
   * A recovery must succeed within `ms` of its first error; then `error(lastError)` ends it
   * (or escalates, when the plan can). Passed in by the operators that offer it.
   */
  readonly deadline?: { readonly ms: number; readonly error: (cause: unknown) => Error };
  /** A retry budget shared with other pipelines: the first subscription deposits, steps withdraw. */
  readonly budget?: EngineBudget;
  /**
   * Applied once to the source the operator is given: what the engine subscribes and
   * retries (a circuit breaker's calls). Alternatives, levels and corrections are not guarded.
   */
  readonly guard?: (source: Observable<T>) => Observable<T>;
  /** The guard already times the source's attempts (`attemptTimeoutMs` inside a breaker). */
  readonly sourceTimed?: boolean;
  /** Budget of `retry` and `correct` steps for errors no pattern matched. */
  readonly unmatchedMaxRetries: number;
  /** Steps per subscription; then only `escalate` may run. */
  readonly maxAttempts: number;
  readonly signals?: SignalObserver;
  readonly metrics?: Partial<Observer<RecoveryMetric>>;
  readonly hub?: RecoveryHub;
  readonly scheduler: SchedulerLike;
  readonly clock: () => number;
}

/** What the engine asks of a retry budget. */
export interface EngineBudget {
  readonly name: string;
  /** One request: a first subscription. */
  deposit(): void;
  /** Pays for one retry (or correct step); `false` when the budget cannot. */
  tryWithdraw(): boolean;
}

const defaultClock = () => performance.now();

/** The engine's view of the {@link CommonOptions} (already checked). */
export function resolveCommon(
  options: CommonOptions,
): Pick<EngineConfig<never>, 'context' | 'signals' | 'metrics' | 'hub' | 'scheduler' | 'clock'> {
  const { context, signals, metrics, hub, scheduler: given, clock } = options;
  return {
    context: Object.freeze({ ...context }),
    ...(signals === undefined ? {} : { signals }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(hub === undefined ? {} : { hub }),
    scheduler: given ?? asyncScheduler,
    clock: clock ?? defaultClock,
  };
}

/** Standalone operators are bounded by their own budget, not by `maxAttempts`. */
export const UNBOUNDED_ATTEMPTS = Number.MAX_SAFE_INTEGER;

/**
 * The classifier of a standalone operator: every error (or, with `matches`, those it
 * accepts) gets `plan` under the operator's name as pattern id. No pattern table, no
 * regex compile: a standalone operator carries no classifier machinery.
 */
export function constantClassifier(
  id: string,
  plan: readonly RecoveryStrategy[],
  maxRetries = 3,
  matches?: (error: unknown) => boolean,
): ClassifyFn {
  const errorType: ErrorType = 'unknown';
  const matched: Classification = Object.freeze({
    pattern: Object.freeze({
      id,
      errorType,
      match: /(?:)/,
      strategy: Object.freeze([...plan]),
      maxRetries,
      priority: 0,
    }),
    errorType,
    plan: Object.freeze([...plan]),
  });
  if (matches === undefined) return { classify: () => matched };
  const unmatched: Classification = Object.freeze({ errorType, plan: Object.freeze([]) });
  return { classify: (error) => (matches(error) ? matched : unmatched) };
}
