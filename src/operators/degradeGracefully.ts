import type { OperatorFunction } from 'rxjs';
import { arrayOf } from '../config/check.js';
import { type DegradationLevel, degradeStrategy, levelRule } from '../strategies/degrade.js';
import type { CommonOptions } from './engine/config.js';
import { argumentIssues, standaloneOperator } from './engine/standalone.js';

const levelsRule = /* @__PURE__ */ arrayOf(levelRule);

/**
 * Options of {@link degradeGracefully}: the {@link CommonOptions}. The levels are the
 * first argument.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, degradeGracefully, type DegradeGracefullyOptions } from 'rx-recovery';
 *
 * const options: DegradeGracefullyOptions = {
 *   hub: createRecoveryHub(),
 *   context: { nodeName: 'generate_code' },
 * };
 * code$.pipe(degradeGracefully([{ name: 'stub', value: '// TODO: implement' }], options));
 * // The recovery_completed signal names the level: { degradationLevel: 'stub', … }
 * ```
 */
export type DegradeGracefullyOptions = CommonOptions;

/**
 * On error, degrades through fallback levels, best first: a level's `source` may fail in
 * turn (then the next level serves); a `value` level cannot fail. The
 * `recovery_completed` signal names the level that served.
 *
 * In plain words: a worse answer beats no answer.
 *
 * ```text
 * source:           --a--#
 * level 'reduced':       --#
 * level 'stub':            (s|)
 * result:           --a----(s|)
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { degradeGracefully } from 'rx-recovery';
 *
 * defer(() => generate(contract, 'large-model'))
 *   .pipe(degradeGracefully([
 *     { name: 'reduced model', source: () => defer(() => generate(contract, 'small-model')) },
 *     { name: 'stub', value: '// TODO: implement' },
 *   ]))
 *   .subscribe((code) => console.log(code));
 * // Output: the large model's code, else the small model's, else '// TODO: implement'
 * ```
 * @param levels Fallback levels, best first.
 * @param options See {@link CommonOptions}.
 * @returns An operator that degrades the source.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad level or option.
 * @see withRecovery
 */
export function degradeGracefully<T, D = T>(
  levels: readonly DegradationLevel<D>[],
  options: DegradeGracefullyOptions = {},
): OperatorFunction<T, T | D> {
  const issues = argumentIssues(levelsRule, levels, 'levels', options);
  return standaloneOperator<T | D, DegradationLevel<D>>({
    name: 'degradeGracefully',
    strategy: 'degrade',
    issues,
    options,
    list: levels,
    make: degradeStrategy<T | D>,
  }) as OperatorFunction<T, T | D>;
}
