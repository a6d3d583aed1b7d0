import type { MonoTypeOperatorFunction } from 'rxjs';
import { z } from 'zod';
import { MatchSchema, unsafeRegexReason } from '../patterns/errorPattern.js';
import { parseConfig } from '../patterns/RecoveryConfigError.js';
import type { EscalationRecord } from '../strategies/escalate.js';
import {
  type CommonOptions,
  commonOptionShape,
  recoveryOperator,
  resolveEngineConfig,
  singlePattern,
} from './withRecovery.js';

export const EscalateOnOptionsSchema = z.strictObject({
  ...commonOptionShape,
  match: MatchSchema.superRefine((match, ctx) => {
    const reason = unsafeRegexReason(match);
    if (reason !== undefined) {
      ctx.addIssue({
        code: 'custom',
        input: match,
        message: `regex can backtrack catastrophically (${reason})`,
      });
    }
  }).optional(),
  onEscalate: z
    .custom((value) => typeof value === 'function', {
      error: 'must be a function (record) => void',
    })
    .optional(),
  terminal: z.enum(['error', 'complete']).default('error'),
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
   * through untouched. A string is a regex source compiled without flags (case-sensitive).
   * @default every error
   */
  match?: RegExp | string;
  /** Told of every escalation; not awaited. A throw or rejection becomes an `observer_error` signal. */
  onEscalate?: (record: EscalationRecord) => void | Promise<void>;
  /** `'error'` ends with an `EscalationError`; `'complete'` completes. @default 'error' */
  terminal?: 'error' | 'complete';
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
  parseConfig(EscalateOnOptionsSchema, options, 'options');
  const { match, onEscalate, terminal, ...common } = options;
  return recoveryOperator(
    resolveEngineConfig<T>(singlePattern('escalateOn', ['escalate'], 0, match), {
      ...common,
      escalation: { onEscalate, terminal },
      builtInCorrections: false,
    }),
  );
}
