import { asyncScheduler, type Observer, type SchedulerLike } from 'rxjs';
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
import type { Classification } from '../../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { ContextOptions } from '../../strategies/context.js';
import type { ClassifyFn, EngineConfig } from './engine.js';

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
  context?: ContextOptions | undefined;
  /** Receives every {@link RecoverySignal}: a `Subject` or any `{ next }`. */
  signals?: SignalObserver | undefined;
  /** Receives the {@link RecoveryMetric}s derived from the signals. */
  metrics?: Partial<Observer<RecoveryMetric>> | undefined;
  /** A hub shared by many pipelines: signals, metrics and statistics in one place. */
  hub?: RecoveryHub | undefined;
  /** Where every wait happens and every timestamp comes from. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
  /** High-resolution clock for `analysisMs`, the one figure that measures CPU work. @default performance.now */
  clock?: (() => number) | undefined;
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

const defaultClock = () => performance.now();

/** What an operator adds to the {@link CommonOptions} to make an {@link EngineConfig}. */
export type EngineParts<T> = Omit<
  EngineConfig<T>,
  'context' | 'signals' | 'metrics' | 'hub' | 'scheduler' | 'clock'
>;

/**
 * Every key of {@link EngineParts}, in one order (the compiler checks that none is missing):
 * what {@link engineConfig} copies.
 */
const PART_KEYS = /* @__PURE__ */ Object.keys({
  classifier: 0,
  strategies: 0,
  resetOnSuccess: 0,
  unmatchedMaxRetries: 0,
  maxAttempts: 0,
  mayRetry: 0,
  attemptContext: 0,
  attach: 0,
  escalate: 0,
  deadline: 0,
  guard: 0,
  subscribed: 0,
  cover: 0,
  skipped: 0,
} satisfies Record<keyof EngineParts<unknown>, 0>) as (keyof EngineParts<unknown>)[];

/**
 * The engine's configuration: the {@link CommonOptions} (already checked), with their
 * defaults, and the operator's `parts`. Every field is set, in one order, also those the
 * operator leaves out: every operator's configuration has the same shape, and the engine's
 * reads stay monomorphic.
 */
export function engineConfig<T>(options: CommonOptions, parts: EngineParts<T>): EngineConfig<T> {
  const config: Record<string, unknown> = {
    context: Object.freeze({ ...options.context }),
    signals: options.signals,
    metrics: options.metrics,
    hub: options.hub,
    scheduler: options.scheduler ?? asyncScheduler,
    clock: options.clock ?? defaultClock,
  };
  for (const key of PART_KEYS) config[key] = parts[key];
  return config as unknown as EngineConfig<T>;
}

/** Standalone operators are bounded by their own budget, not by `maxAttempts`. */
export const UNBOUNDED_ATTEMPTS = Infinity;

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
  const strategy = Object.freeze([...plan]);
  const matched: Classification = Object.freeze({
    pattern: Object.freeze({ id, errorType, match: /(?:)/, strategy, maxRetries, priority: 0 }),
    errorType,
    plan: strategy,
  });
  const unmatched: Classification = Object.freeze({ errorType, plan: Object.freeze([]) });
  return { classify: (error) => (matches === undefined || matches(error) ? matched : unmatched) };
}
