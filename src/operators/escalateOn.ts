import type { MonoTypeOperatorFunction, ObservableInput } from 'rxjs';
import { shape } from '../config/check.js';
import { statelessRegex } from '../patterns/errorPattern.js';
import { errorText } from '../patterns/errorText.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import { escalateStrategy } from '../strategies/escalate.js';
import type { Resolution } from '../strategies/resolution.js';
import { type CommonOptions, commonRules } from './engine/config.js';
import { escalation } from './engine/escalation.js';
import { escalationRules, pauseOption } from './engine/escalationOptions.js';
import { standaloneOperator } from './engine/standalone.js';

const optionsRule = /* @__PURE__ */ shape({
  ...commonRules,
  match: () => {}, // compiled below, where its error can be named
  ...escalationRules,
});

/**
 * Options of {@link escalateOn}: which errors escalate, who is told, how the stream ends,
 * and the {@link CommonOptions}.
 *
 * @example
 * ```ts
 * import { escalateOn, type EscalateOnOptions } from 'rx-recovery';
 *
 * const options: EscalateOnOptions = {
 *   match: /quorum not reached|consensus failed/i,
 *   onEscalate: async (record) => {
 *     await tickets.open({ title: record.message, workflow: record.context.workflowId });
 *   },
 *   terminal: 'complete',
 *   context: { workflowId: 'codegen-1', nodeName: 'quorum_review' },
 * };
 * review$.pipe(escalateOn(options)).subscribe({ complete: () => console.log('done') });
 * // Output: done — also after an escalation, which completes instead of erroring
 * ```
 */
export interface EscalateOnOptions extends CommonOptions {
  /**
   * Which errors escalate, tested against the error's text (see `errorText`); the rest go
   * through untouched. A string is a regex source compiled without flags (case-sensitive);
   * a RegExp's `g` and `y` flags are dropped (they would make `test` stateful).
   * @default every error
   */
  match?: RegExp | string | undefined;
  /** Told of every escalation; not awaited. A throw or rejection becomes an `observer_error` signal. */
  onEscalate?: ((record: EscalationRecord) => void | Promise<void>) | undefined;
  /** `'error'` ends with an `EscalationError`; `'complete'` completes. @default 'error' */
  terminal?: 'error' | 'complete' | undefined;
  /**
   * Wait for a person instead of ending the stream; see `withRecovery`'s `escalation.await`.
   * Needs a `hub` or `resolve`.
   * @default false
   */
  await?:
    | boolean
    | {
        /** End the wait as a terminal escalation after this long (scheduler time). */
        timeoutMs?: number;
      }
    | undefined;
  /** Asked for the resolution of a waiting escalation. */
  resolve?: ((record: EscalationRecord) => ObservableInput<Resolution<unknown>>) | undefined;
}

/**
 * The `match` option as a RegExp (a string is a regex source), or a problem line. A RegExp
 * with `g` or `y` is compiled again without them: `test` would resume from the last match
 * and miss every other matching error.
 */
function compileMatch(match: unknown, issues: string[]): RegExp | undefined {
  if (match instanceof RegExp) return statelessRegex(match);
  if (match === undefined) return match;
  if (typeof match !== 'string') {
    issues.push(`options.match: expected a RegExp or a regex source string, got ${typeof match}`);
    return undefined;
  }
  try {
    return new RegExp(match);
  } catch (error) {
    const reason = String((error as Error).message).replace(/^Invalid regular expression: /, '');
    issues.push(`options.match: invalid regular expression: ${reason}`);
    return undefined;
  }
}

/**
 * Escalates errors to a human: builds an `EscalationRecord`, tells `onEscalate` without
 * waiting, emits an `escalated` signal, then ends the stream with an `EscalationError`
 * (`.record`, `.cause`) — or completes it with `terminal: 'complete'`.
 *
 * In plain words: stop trying, and make sure somebody knows.
 *
 * ```text
 * source:  --a--#
 * result:  --a--#      (# is an EscalationError whose cause is the source's error)
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { escalateOn } from 'rx-recovery';
 *
 * defer(() => review(code))
 *   .pipe(escalateOn({ match: /quorum not reached/i, onEscalate: (record) => pager.notify(record) }))
 *   .subscribe({ error: (error) => console.log(error.name) });
 * // Output: EscalationError (and the pager is told)
 * ```
 * @param options See {@link EscalateOnOptions}.
 * @returns An operator that escalates matching errors.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad option.
 * @see withRecovery
 */

export function escalateOn<T>(options: EscalateOnOptions = {}): MonoTypeOperatorFunction<T> {
  const issues: string[] = [];
  optionsRule(options, 'options', issues);
  const { match, onEscalate, terminal, hub } = options;
  const regex = compileMatch(match, issues);
  const pause = pauseOption<T>(
    options.await,
    options.resolve as ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined,
    hub,
    'options',
    issues,
  );
  return standaloneOperator<T, never>({
    name: 'escalateOn',
    strategy: 'escalate',
    issues,
    options,
    list: [],
    make: () => escalateStrategy<T>({ terminal }),
    maxRetries: 0,
    matches: regex && ((error) => regex.test(errorText(error))),
    escalate: escalation(onEscalate, pause),
  });
}
