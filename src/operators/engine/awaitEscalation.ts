import { from, type ObservableInput, type SchedulerLike, Subscription, timer } from 'rxjs';
import { awaitResolution, type RecoveryHub } from '../../observability/hub.js';
import {
  escalationResolvedSignal,
  observerErrorSignal,
  type RecoverySignal,
} from '../../observability/signals.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import { type Resolution, resolutionProblem } from '../../strategies/resolution.js';

/** How the engine resumes a paused stream, one function per resolution. */
export interface Resume<T> {
  value(value: T): void;
  retry(): void;
  source(source: ObservableInput<T>): void;
  complete(): void;
  abort(reason: string | undefined): void;
  /** Nobody answered in time: end as a terminal escalation. */
  timeout(): void;
}

/** Options of an escalation that waits, checked (`escalation.await`, `escalation.resolve`). */
export interface AwaitOptions<T> {
  /** Ends the wait as a terminal escalation after this long (scheduler time). */
  readonly timeoutMs?: number | undefined;
  /** Asked for the resolution; when absent, it comes from the hub. */
  readonly resolve?: ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined;
}

/** What the engine gives a paused escalation. */
export interface PauseInput<T> {
  /** The record, marked `pending: true`. */
  readonly record: EscalationRecord;
  readonly hub?: RecoveryHub | undefined;
  readonly scheduler: SchedulerLike;
  readonly emit: (signal: RecoverySignal) => void;
  readonly resume: Resume<T>;
}

/**
 * Escalation that waits for a person: the subscription stays open, nothing is replayed, and
 * the first valid resolution — from `resolve(record)`, else from
 * `hub.resolveEscalation(record.id, …)` — resumes the stream. Later resolutions are
 * refused; `timeoutMs` ends the wait as a terminal escalation. The returned subscription is
 * the wait: unsubscribing it (the stream's unsubscribe) withdraws the pending record and
 * stops the timer.
 */
export function pauseForResolution<T>(
  options: AwaitOptions<T>,
  input: PauseInput<T>,
): Subscription {
  const { record, hub, scheduler, emit, resume } = input;
  const wait = new Subscription();
  const done = (action: Parameters<typeof escalationResolvedSignal>[2]) => {
    wait.unsubscribe(); // withdraws the record, stops the timer and the resolve stream
    emit(escalationResolvedSignal(scheduler.now(), record, action));
  };
  const settle = (resolution: Resolution<unknown>): boolean => {
    if (wait.closed || resolutionProblem(resolution) !== undefined) return false;
    const { action } = resolution;
    done(action);
    // The resume of the action's name, given what the action carries (if anything).
    (resume[action] as (carried: unknown) => void)(
      action === 'value'
        ? resolution.value
        : action === 'source'
          ? resolution.source
          : (resolution as { reason?: string }).reason,
    );
    return true;
  };
  if (hub !== undefined) wait.add(awaitResolution(hub, record, settle));
  if (options.timeoutMs !== undefined) {
    wait.add(
      timer(options.timeoutMs, scheduler).subscribe(() => {
        done('timeout');
        resume.timeout();
      }),
    );
  }
  if (options.resolve !== undefined) {
    const report = (error: unknown) =>
      emit(
        observerErrorSignal(
          { ...record.context, at: scheduler.now() },
          error,
          'onEscalate',
          record,
        ),
      );
    try {
      wait.add(
        from(options.resolve(record)).subscribe({
          next: (resolution) => {
            if (!settle(resolution)) {
              const problem = resolutionProblem(resolution);
              if (problem !== undefined) report(new TypeError(problem));
            }
          },
          error: report,
        }),
      );
    } catch (error) {
      report(error);
    }
  }
  return wait;
}
