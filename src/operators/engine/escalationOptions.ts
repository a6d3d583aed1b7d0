import type { ObservableInput, Subscription } from 'rxjs';
import { fn, number, oneOf, type Rule, shape } from '../../config/check.js';
import type { RecoveryHub } from '../../observability/hub.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import type { Resolution } from '../../strategies/resolution.js';
import { type PauseInput, pauseForResolution } from './awaitEscalation.js';

/** `await`: `true`, `false`, or `{ timeoutMs }`. */
const awaitRule: Rule = (value, path, issues) => {
  if (typeof value === 'boolean') return;
  shape({ timeoutMs: number({ min: 0 }) })(value, path, issues);
};

/** The checks of the escalation options `withRecovery` and `escalateOn` share. */
export const escalationRules: Readonly<Record<string, Rule>> = /* @__PURE__ */ Object.freeze({
  onEscalate: /* @__PURE__ */ fn('(record) => void | Promise<void>'),
  terminal: /* @__PURE__ */ oneOf(['error', 'complete']),
  await: awaitRule,
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
): ((input: PauseInput<T>) => Subscription) | undefined {
  if (waits === undefined || waits === false) return undefined;
  if (hub === undefined && resolve === undefined) {
    issues.push(
      `${path}.await: needs a hub (hub.resolveEscalation) or ${path}.resolve to end the wait`,
    );
  }
  const timeoutMs = typeof waits === 'object' ? waits.timeoutMs : undefined;
  const options = {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(resolve === undefined ? {} : { resolve }),
  };
  return (input) => pauseForResolution(options, input);
}
