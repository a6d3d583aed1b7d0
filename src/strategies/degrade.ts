import { isObject, type Rule, shape, string } from '../config/check.js';
import { factoryRule, factoryStep } from './alternative.js';
import type { AttemptContext, SourceFactory } from './context.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

/**
 * One rung of graceful degradation: a `source` that may itself fail, or a `value` that
 * cannot. Give one of the two.
 *
 * - `name` (non-empty) names the level in the result's `degradationLevel`.
 * - `source` builds the level's observable from the {@link AttemptContext}, when the level
 *   is reached; if it fails, the error is classified again and the next level may serve.
 * - `value` is emitted as is, then the stream completes.
 *
 * Levels are tried best first, each at most once per subscription.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { type DegradationLevel, degradeGracefully } from 'rx-recovery';
 *
 * const levels: DegradationLevel<string>[] = [
 *   {
 *     name: 'reduced model',
 *     source: (context) => defer(() => generate(context.state, 'small-model')),
 *   },
 *   { name: 'stub', value: '// TODO: implement' },
 * ];
 * defer(() => generate(state, 'large-model')).pipe(degradeGracefully(levels)).subscribe(save);
 * // Output: the large model's code, else the small model's, else '// TODO: implement'
 * ```
 * @typeParam T The type of the values the level emits.
 */
export type DegradationLevel<T> =
  | {
      /** Names the level in signals and results (`degradationLevel`). */
      readonly name: string;
      /** Builds the level's source from the attempt context; it may fail in turn. */
      readonly source: SourceFactory<T>;
      /** Not with `source`. */
      readonly value?: never;
    }
  | {
      /** Names the level in signals and results (`degradationLevel`). */
      readonly name: string;
      /** Emitted as the recovered value, then the stream completes: this level cannot fail. */
      readonly value: T;
      /** Not with `value`. */
      readonly source?: never;
    };

const levelShape = /* @__PURE__ */ shape(
  {
    name: /* @__PURE__ */ string(true),
    source: factoryRule,
    value: () => {},
  },
  ['name'],
);

/** Checks one {@link DegradationLevel}: a name and exactly one of `source` or `value`. */
export const levelRule: Rule = (value, path, issues) => {
  levelShape(value, path, issues);
  if (isObject(value) && 'value' in value === (value.source !== undefined)) {
    issues.push(`${path}: give exactly one of source or value`);
  }
};

/**
 * Degrade: serve the next level down, in order, each at most once per subscription; `null`
 * once the levels are spent. A pattern whose `metadata.fallbackLevel` (or
 * `fallback_level`) names a level starts there, skipping the better ones. The step records
 * the level's name for the result.
 */
export function degradeStrategy<T>(levels: readonly DegradationLevel<T>[]): Strategy<T> {
  let next = 0;
  return (_error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> | null => {
    const metadata = input.classification.pattern?.metadata;
    const start = metadata?.fallbackLevel ?? metadata?.fallback_level;
    // Not found: -1, and the next level serves.
    if (start !== undefined)
      next = Math.max(
        next,
        levels.findIndex((l) => l.name === start),
      );
    const level = levels[next];
    if (!level) return null;
    next += 1;
    const { name, source } = level;
    // The context is read now: the input is the engine's, reused by the next error.
    return source
      ? factoryStep(source, input.context(attempt), name)
      : { kind: 'subscribe', source: [level.value as T], delayMs: 0, degradationLevel: name };
  };
}
