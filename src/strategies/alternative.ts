import { defer } from 'rxjs';
import type { RecoveryStep, SourceFactory, StepInput, Strategy } from './context.js';

/** Alternative sources by pattern id or error type, each list tried in order. */
export type Alternatives<T> = Readonly<Record<string, readonly SourceFactory<T>[]>>;

/**
 * Alternative: switch to the next untried alternative registered for the error's pattern
 * id, then for its error type. Each alternative is tried at most once per subscription;
 * `null` when none is left. A factory that throws fails its step (the engine classifies
 * what it threw) instead of crashing the stream.
 */
export function alternativeStrategy<T>(alternatives: Alternatives<T>): Strategy<T> {
  const tried = new Set<SourceFactory<T>>();
  return (_error: unknown, { context, classification }: StepInput<T>): RecoveryStep<T> | null => {
    for (const key of [classification.pattern?.id, classification.errorType]) {
      if (key === undefined || !Object.hasOwn(alternatives, key)) continue;
      for (const factory of alternatives[key] ?? []) {
        if (tried.has(factory)) continue;
        tried.add(factory);
        const attemptContext = context();
        return { kind: 'subscribe', source: defer(() => factory(attemptContext)), delayMs: 0 };
      }
    }
    return null;
  };
}
