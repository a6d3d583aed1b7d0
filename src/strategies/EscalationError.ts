import type { ErrorType } from '../patterns/errorTypes.js';
import type { RecoveryContext } from './context.js';

/**
 * What a human needs to pick up an escalated failure. Frozen. It reaches you three ways:
 * the `escalated` signal, `onEscalate`, and the `record` of the {@link EscalationError}.
 *
 * @example
 * ```ts
 * import { type EscalationRecord, withRecovery } from 'rx-recovery';
 *
 * const openTicket = (record: EscalationRecord) =>
 *   tickets.open({
 *     key: record.id,
 *     title: `${record.context.nodeName}: ${record.message.split('\n')[0]}`,
 *     labels: [record.errorType, record.patternId ?? 'unmatched'],
 *     body: `${record.attempts} recovery steps failed (workflow ${record.context.workflowId})`,
 *   });
 * review$.pipe(withRecovery(undefined, { escalation: { onEscalate: openTicket } })).subscribe();
 * // record → { id: '9b2e…', createdAt: 1717000004000,
 * //   context: { workflowId: 'codegen-1', nodeName: 'quorum_review', correlationId: '…' },
 * //   errorType: 'quorum', patternId: 'quorum_consensus_failed',
 * //   message: 'Error: Quorum not reached: 1 of 3 reviewers approved', attempts: 2 }
 * ```
 */
export interface EscalationRecord {
  /** A new id for this escalation (a UUID where the platform has one). */
  readonly id: string;
  /** Scheduler time of the escalation. */
  readonly createdAt: number;
  /** Who was recovering: the subscription's context. */
  readonly context: RecoveryContext;
  /** The type of the error that escalated. */
  readonly errorType: ErrorType;
  /** The pattern whose plan escalated; absent when no pattern matched. */
  readonly patternId?: string | undefined;
  /** The error's text, as the classifier read it. */
  readonly message: string;
  /** Recovery steps taken before escalating. */
  readonly attempts: number;
  /** The matching pattern's `metadata`, when it has any. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** `true` while the escalation waits for a resolution (`escalation.await`). */
  readonly pending?: boolean | undefined;
}

/**
 * The error a stream ends with when recovery escalates. `cause` is the original error.
 *
 * It is never wrapped twice: an rx-recovery operator that receives an `EscalationError`
 * from an inner pipeline passes it on as it is. Recognise it with
 * {@link isEscalationError}, which works across copies of the package.
 *
 * @example
 * ```ts
 * import { isEscalationError, withRecovery } from 'rx-recovery';
 *
 * review$.pipe(withRecovery()).subscribe({
 *   error: (error: unknown) => {
 *     if (isEscalationError(error)) {
 *       console.log(error.message); // Escalated to a human: Error: Quorum not reached: 1 of 3
 *       console.log(error.record.patternId); // quorum_consensus_failed
 *       console.log(error.cause); // Error: Quorum not reached: 1 of 3
 *     }
 *   },
 * });
 * ```
 */
export class EscalationError extends Error {
  /** Always `'EscalationError'`. */
  override readonly name = 'EscalationError';
  /** Brand: always `true`. What {@link isEscalationError} checks, across copies of the package. */
  readonly isEscalationError = true;
  /** What a human needs to pick the failure up. */
  declare readonly record: EscalationRecord;

  /**
   * @param record The escalation record; its message's first line becomes the error's.
   * @param cause The original error, kept as `cause`.
   * @param reason Why a person aborted the escalation (an `abort` resolution's `reason`):
   * the message ends with `(aborted: <reason>)`.
   */
  constructor(record: EscalationRecord, cause: unknown, reason?: string) {
    super(
      `Escalated to a human: ${record.message.split('\n')[0]}${reason === undefined ? '' : ` (aborted: ${reason})`}`,
      { cause },
    );
    this.record = record;
  }
}

/**
 * True for an {@link EscalationError}, also when it comes from another copy of the
 * package (ESM and CJS copies loaded side by side), where `instanceof` fails. It checks
 * the `isEscalationError` brand.
 *
 * @example
 * ```ts
 * import { catchError, EMPTY } from 'rxjs';
 * import { isEscalationError, withRecovery } from 'rx-recovery';
 *
 * generation$.pipe(
 *   withRecovery(),
 *   catchError((error: unknown) => {
 *     if (isEscalationError(error)) return EMPTY; // a human has it; stop quietly
 *     throw error;
 *   }),
 * );
 * ```
 * @param error Anything thrown.
 * @returns Whether `error` is an `EscalationError`.
 */
export function isEscalationError(error: unknown): error is EscalationError {
  try {
    return (error as { isEscalationError?: unknown } | null)?.isEscalationError === true;
  } catch {
    return false; // a revoked proxy or a throwing getter: not ours
  }
}
