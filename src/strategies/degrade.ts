import { defer, of } from 'rxjs';
import type { RecoveryStep, SourceFactory, StepInput, Strategy } from './context.js';

/**
 * One rung of graceful degradation: a `source` that may itself fail, or a `value` that
 * cannot. Give one of the two.
 */
export type DegradationLevel<T> =
  | { readonly name: string; readonly source: SourceFactory<T>; readonly value?: never }
  | { readonly name: string; readonly value: T; readonly source?: never };

/**
 * Degrade: serve the next level down, in order, each at most once per subscription; `null`
 * once the levels are spent. The step records the level's name for the result.
 */
export function degradeStrategy<T>(levels: readonly DegradationLevel<T>[]): Strategy<T> {
  let next = 0;
  return (_error: unknown, { context }: StepInput<T>): RecoveryStep<T> | null => {
    const level = levels[next];
    if (level === undefined) return null;
    next += 1;
    const { source } = level;
    return {
      kind: 'subscribe',
      source: source === undefined ? of(level.value as T) : defer(() => source(context)),
      delayMs: 0,
      degradationLevel: level.name,
    };
  };
}
