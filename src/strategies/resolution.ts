import type { ObservableInput } from 'rxjs';
import { describeValue, isObject } from '../config/check.js';
import { errorText } from '../patterns/errorText.js';

/**
 * How a person (or a `resolve` function) ends an escalation that waits
 * (`escalation.await`): the paused stream resumes in place, without replaying anything.
 *
 * | action | the stream |
 * |---|---|
 * | `value` | emits `value`, then completes |
 * | `retry` | resubscribes the source, with every budget whole again |
 * | `source` | switches to `source` |
 * | `complete` | completes |
 * | `abort` | errors with the `EscalationError` (its message carries `reason`) |
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type Resolution } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * const approve: Resolution<string> = { action: 'value', value: '// reviewed by hand' };
 * for (const record of hub.pendingEscalations()) hub.resolveEscalation(record.id, approve);
 * ```
 * @typeParam T The type of the values of the paused stream.
 */
export type Resolution<T> =
  | {
      /** Emit `value`, then complete. */
      readonly action: 'value';
      /** What the stream emits. */
      readonly value: T;
    }
  | {
      /** Resubscribe the source, with every budget whole again. */
      readonly action: 'retry';
    }
  | {
      /** Switch to `source`. */
      readonly action: 'source';
      /**
       * What the stream switches to: anything RxJS's `from` takes — an Observable or
       * InteropObservable, a promise, an array or array-like, an iterable or async
       * iterable, a ReadableStream — except a string (which `from` would emit one
       * character at a time: send `{ action: 'value', value }` to emit a string).
       */
      readonly source: ObservableInput<T>;
    }
  | {
      /** Complete. */
      readonly action: 'complete';
    }
  | {
      /** Error with the `EscalationError`. */
      readonly action: 'abort';
      /** Why, for the `escalation_resolved` signal and the logs. */
      readonly reason?: string;
    };

/** What each action may carry besides `action` (`retry` and `complete`: nothing). */
const CARRIES: Readonly<Record<string, string | undefined>> = /* @__PURE__ */ Object.freeze({
  value: 'value',
  retry: undefined,
  source: 'source',
  complete: undefined,
  abort: 'reason',
});

/** `Symbol.observable` where the platform has it, else RxJS's fallback name. */
const OBSERVABLE: string | symbol =
  (Symbol as { observable?: symbol }).observable || '@@observable';

/**
 * Whether RxJS's `from` takes `value`, by its own rules: an Observable or InteropObservable,
 * a promise-like, an async iterable, an iterable, a ReadableStream-like, or an array-like
 * object. A string is refused, although `from` would iterate it: a person who sends one
 * means a `value`.
 */
function isObservableInput(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const input = value as Record<PropertyKey, unknown>;
  return (
    [OBSERVABLE, 'then', Symbol.asyncIterator, Symbol.iterator, 'getReader'].some(
      (key) => typeof input[key] === 'function',
    ) ||
    (typeof value === 'object' && typeof input.length === 'number')
  );
}

/**
 * `value` as a {@link Resolution} — a frozen copy, each field read once, so that what was
 * checked is what is acted on — or, when it is not one, why (one line). A value whose
 * reading throws (a getter, a revoked proxy) is not one.
 */
export function readResolution(value: unknown): Resolution<unknown> | string {
  try {
    if (!isObject(value)) return `resolution: expected object, got ${describeValue(value)}`;
    const { action } = value;
    if (typeof action !== 'string' || !Object.hasOwn(CARRIES, action)) {
      return `resolution.action: must be one of ${Object.keys(CARRIES).join(', ')}, got ${describeValue(action)}`;
    }
    const carried = CARRIES[action];
    for (const key of Object.keys(value)) {
      if (key !== 'action' && key !== carried) {
        return `resolution.${key}: unknown option for action ${action}`;
      }
    }
    if (action === 'value' && !('value' in value)) return 'resolution.value: required';
    const field = carried && value[carried];
    if (action === 'source' && !isObservableInput(field)) {
      return 'resolution.source: must be an ObservableInput';
    }
    if (carried === 'reason' && field !== undefined && typeof field !== 'string') {
      return `resolution.reason: expected string, got ${describeValue(field)}`;
    }
    return Object.freeze(
      carried && carried in value ? { action, [carried]: field } : { action },
    ) as Resolution<unknown>;
  } catch (error) {
    return `resolution: could not be read (${errorText(error)})`;
  }
}

/** Why `value` is not a {@link Resolution}, or `undefined` when it is one. */
export function resolutionProblem(value: unknown): string | undefined {
  const read = readResolution(value);
  return typeof read === 'string' ? read : undefined;
}
