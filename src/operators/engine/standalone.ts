import type { MonoTypeOperatorFunction } from 'rxjs';
import { type Rule, shape, throwIfAny } from '../../config/check.js';
import type { RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { Strategy } from '../../strategies/strategy.js';
import { attemptContext } from './attemptContext.js';
import {
  type CommonOptions,
  commonRules,
  constantClassifier,
  engineConfig,
  UNBOUNDED_ATTEMPTS,
} from './config.js';
import { type EngineConfig, recoveryOperator } from './engine.js';

/** The checks of options that are the {@link CommonOptions} alone. */
export const commonOptionsRule: Rule = /* @__PURE__ */ shape(commonRules);

/**
 * The problems of a standalone operator's arguments: its first argument, checked by
 * `rule` under `name`, and its `options`, checked by `optionsRule`.
 */
export function argumentIssues(
  rule: Rule,
  value: unknown,
  name: string,
  options: unknown,
  optionsRule: Rule = commonOptionsRule,
): string[] {
  const issues: string[] = [];
  rule(value, name, issues);
  optionsRule(options, 'options', issues);
  return issues;
}

/** What a standalone operator is made of. */
export interface StandaloneSpec<T, L> {
  /** The operator's name: its pattern id in signals and results. */
  readonly name: string;
  /** Its one strategy: the plan `[strategy]`. */
  readonly strategy: RecoveryStrategy;
  /** The problems of its arguments (see {@link argumentIssues}): thrown first, all together. */
  readonly issues: readonly string[];
  /** Its options (checked). */
  readonly options: CommonOptions;
  /** The alternatives, levels or rules, copied as they are now. */
  readonly list: readonly L[];
  /** Each subscription's strategy, from the copy of `list`. */
  readonly make: (list: readonly L[]) => Strategy<T>;
  /** The budget of a `correct` plan. @default 3 */
  readonly maxRetries?: number | undefined;
  /** Which errors the operator takes on; the others go through. @default every error */
  readonly matches?: ((error: unknown) => boolean) | undefined;
  /** How an `escalate` step ends (the operators whose plans escalate). */
  readonly escalate?: EngineConfig<T>['escalate'];
}

/**
 * A standalone operator (`switchToAlternative`, `degradeGracefully`, `correctErrors`,
 * `escalateOn`): the engine with one strategy, run for every error (or, with `matches`,
 * those it accepts) as the plan `[strategy]` under the operator's name as pattern id — a
 * constant classifier, no pattern table — bounded by its own budget, not by `maxAttempts`.
 */
export function standaloneOperator<T, L>(spec: StandaloneSpec<T, L>): MonoTypeOperatorFunction<T> {
  const { name, strategy, options, make, maxRetries, matches, escalate } = spec;
  throwIfAny(spec.issues);
  const copy = [...spec.list];
  return recoveryOperator<T>(
    engineConfig(options, {
      classifier: constantClassifier(name, [strategy], maxRetries, matches),
      strategies: () => ({ [strategy]: make(copy) }),
      resetOnSuccess: false,
      unmatchedMaxRetries: 0,
      maxAttempts: UNBOUNDED_ATTEMPTS,
      attemptContext,
      escalate,
    }),
  );
}
