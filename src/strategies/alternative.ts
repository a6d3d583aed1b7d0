import { defer } from 'rxjs';
import { fn, type Rule } from '../config/check.js';
import type { AttemptContext, SourceFactory } from './context.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

/** Alternative sources by pattern id or error type, each list tried in order. */
export type Alternatives<T> = Readonly<Record<string, readonly SourceFactory<T>[]>>;

/** Checks one {@link SourceFactory} (an alternative, a degradation level's `source`). */
export const factoryRule: Rule = /* @__PURE__ */ fn('(context) => ObservableInput');

/**
 * The step of a recovery source built from the context (an alternative, a degradation
 * level): `factory` is called when the step's attempt subscribes, so what it throws fails
 * that attempt.
 */
export function factoryStep<T>(
  factory: SourceFactory<T>,
  context: AttemptContext,
  degradationLevel?: string,
): RecoveryStep<T> {
  return { kind: 'subscribe', source: defer(() => factory(context)), delayMs: 0, degradationLevel };
}

/**
 * Alternative: switch to the next untried alternative registered for the error's pattern
 * id, then for its error type. Each alternative is tried at most once per subscription;
 * `null` when none is left. A factory that throws fails its step (the engine classifies
 * what it threw) instead of crashing the stream.
 */
export function alternativeStrategy<T>(alternatives: Alternatives<T>): Strategy<T> {
  /** Factories tried, whatever list they were found in (one may sit under two keys). */
  const tried = new Set<SourceFactory<T>>();
  /** Where each list's scan resumes: n alternatives cost O(n) lookups in all, not O(n²). */
  const resume = new Map<string, number>();
  return (_error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> | null => {
    const { classification } = input;
    for (const key of [classification.pattern?.id, classification.errorType]) {
      if (key === undefined || !Object.hasOwn(alternatives, key)) continue;
      const list = alternatives[key] as readonly SourceFactory<T>[];
      for (let index = resume.get(key) ?? 0; index < list.length; index += 1) {
        const factory = list[index] as SourceFactory<T>;
        if (tried.has(factory)) continue;
        resume.set(key, index + 1);
        tried.add(factory);
        return factoryStep(factory, input.context(attempt));
      }
      resume.set(key, list.length);
    }
    return null;
  };
}
