import type { OperatorFunction } from 'rxjs';
import { arrayOf } from '../config/check.js';
import { alternativeStrategy, factoryRule } from '../strategies/alternative.js';
import type { SourceFactory } from '../strategies/context.js';
import type { CommonOptions } from './engine/config.js';
import { argumentIssues, standaloneOperator } from './engine/standalone.js';

const alternativesRule = /* @__PURE__ */ arrayOf(factoryRule);

/**
 * Options of {@link switchToAlternative}: the {@link CommonOptions}. The alternatives are
 * the first argument.
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import {
 *   type RecoverySignal,
 *   switchToAlternative,
 *   type SwitchToAlternativeOptions,
 * } from 'rx-recovery';
 *
 * const signals = new Subject<RecoverySignal>();
 * const options: SwitchToAlternativeOptions = { signals, context: { nodeName: 'load_template' } };
 * template$.pipe(switchToAlternative([() => fallbackTemplate$], options));
 * ```
 */
export type SwitchToAlternativeOptions = CommonOptions;

/**
 * On error, switches to the next alternative source, in order; each is tried at most once
 * per subscription. When they are spent, the last error goes through untouched.
 *
 * In plain words: a fallback chain of sources.
 *
 * ```text
 * source:        --a--#
 * alternative 1:      --#
 * alternative 2:        --b--|
 * result:        --a------b--|
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { switchToAlternative } from 'rx-recovery';
 *
 * defer(() => render('service.ts.j2'))
 *   .pipe(switchToAlternative([() => defer(() => render('service.simple.j2'))]))
 *   .subscribe((code) => console.log(code.length));
 * // Output: the length of the simpler template's output, when the first one fails
 * ```
 * @param alternatives Source factories, tried in order; each gets the attempt context.
 * @param options See {@link CommonOptions}.
 * @returns An operator that falls back to the alternatives.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad option.
 * @see withRecovery
 */
export function switchToAlternative<T, A = T>(
  alternatives: readonly SourceFactory<A>[],
  options: SwitchToAlternativeOptions = {},
): OperatorFunction<T, T | A> {
  const issues = argumentIssues(alternativesRule, alternatives, 'alternatives', options);
  return standaloneOperator<T | A, SourceFactory<A>>({
    name: 'switchToAlternative',
    strategy: 'alternative',
    issues,
    options,
    list: alternatives,
    make: (list) => alternativeStrategy<T | A>({ switchToAlternative: list }),
  }) as OperatorFunction<T, T | A>;
}
