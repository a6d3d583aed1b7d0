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

/**
 * A standalone operator (`switchToAlternative`, `degradeGracefully`, `correctErrors`,
 * `escalateOn`): the engine with one strategy, run for every error (or, with `matches`,
 * those it accepts) as the plan `[strategy]` under the operator's name as pattern id — a
 * constant classifier, no pattern table — bounded by its own budget, not by `maxAttempts`.
 * `issues` (the arguments' problems) are thrown first, all together; then `list` (the
 * alternatives, levels or rules) is copied, as it is now, for `make` to build each
 * subscription's strategy from.
 */
export function standaloneOperator<T, L>(
  issues: readonly string[],
  name: string,
  strategy: RecoveryStrategy,
  options: CommonOptions,
  list: readonly L[],
  make: (list: readonly L[]) => Strategy<T>,
  {
    maxRetries,
    matches,
    escalate,
  }: {
    /** The budget of a `correct` plan. @default 3 */
    readonly maxRetries?: number | undefined;
    readonly matches?: ((error: unknown) => boolean) | undefined;
    readonly escalate?: EngineConfig<T>['escalate'];
  } = {},
): MonoTypeOperatorFunction<T> {
  throwIfAny(issues);
  const copy = [...list];
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
