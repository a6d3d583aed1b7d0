import type { ObservableInput } from 'rxjs';
import { delay, fn, oneOf, type Rule, shape } from '../../config/check.js';
import type { RecoveryHub } from '../../observability/hub.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import type { Resolution } from '../../strategies/resolution.js';
import { type Pause, pauseForResolution } from './awaitEscalation.js';

const awaitShape = /* @__PURE__ */ shape({ timeoutMs: /* @__PURE__ */ delay() });

/** The checks of the escalation options `withRecovery` and `escalateOn` share. */
export const escalationRules: Readonly<Record<string, Rule>> = /* @__PURE__ */ Object.freeze({
  onEscalate: /* @__PURE__ */ fn('(record) => void | Promise<void>'),
  terminal: /* @__PURE__ */ oneOf(['error', 'complete']),
  // `true`, `false`, or `{ timeoutMs }`.
  await: (value, path, issues) => {
    if (typeof value !== 'boolean') awaitShape(value, path, issues);
  },
  resolve: /* @__PURE__ */ fn('(record) => ObservableInput<Resolution>'),
});

/**
 * The engine's `pause` for `escalation.await`, or `undefined` when escalations do not wait.
 * A wait nobody can end (no hub, no `resolve`) is a configuration error.
 */
export function pauseOption<T>(
  waits: boolean | { timeoutMs?: number } | undefined,
  resolve: ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined,
  hub: RecoveryHub | undefined,
  path: string,
  issues: string[],
): Pause<T> | undefined {
  if (!waits) return undefined;
  if (!hub && !resolve) {
    issues.push(
      `${path}.await: needs a hub (hub.resolveEscalation) or ${path}.resolve to end the wait`,
    );
  }
  return pauseForResolution(typeof waits === 'object' ? waits.timeoutMs : undefined, resolve);
}
