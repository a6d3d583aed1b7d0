import { from, type ObservableInput, Subscription, timer } from 'rxjs';
import { awaitResolution } from '../../observability/hub.js';
import { escalationResolvedSignal, observerErrorSignal } from '../../observability/signals.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import { type Resolution, resolutionProblem } from '../../strategies/resolution.js';
import type { Run } from './engine.js';

/**
 * Reports what `onEscalate` (or `escalation.resolve`) threw or rejected with, as an
 * `observer_error` signal carrying `record`. Reported even after the stream has ended
 * (escalation ends it at once): the record must reach somebody.
 */
export function reportFor<T>(run: Run<T>, record: EscalationRecord): (error: unknown) => void {
  return (error) =>
    run.emit(
      observerErrorSignal(
        { ...record.context, at: run.config.scheduler.now() },
        error,
        'onEscalate',
        record,
      ),
    );
}

/**
 * How the engine resumes a paused stream: with the resolution, or with `timeout` (nobody
 * answered in time: end as a terminal escalation).
 */
export type Resume<T> = (resolution: Resolution<T> | { readonly action: 'timeout' }) => void;

/**
 * An escalation that waits: given the record (marked `pending: true`), the run and how to
 * resume, it returns the wait, which the stream's unsubscribe ends.
 */
export type Pause<T> = (record: EscalationRecord, run: Run<T>, resume: Resume<T>) => Subscription;

/**
 * Escalation that waits for a person: the subscription stays open, nothing is replayed, and
 * the first valid resolution — from `resolve(record)`, else from
 * `hub.resolveEscalation(record.id, …)` — resumes the stream. Later resolutions are
 * refused; `timeoutMs` ends the wait as a terminal escalation. The wait returned is a
 * subscription: unsubscribing it (the stream's unsubscribe) withdraws the pending record
 * and stops the timer.
 */
export function pauseForResolution<T>(
  timeoutMs: number | undefined,
  resolve: ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined,
): Pause<T> {
  return (record, run, resume) => {
    const { hub, scheduler } = run.config;
    const wait = new Subscription();
    const end = (resolution: Parameters<Resume<T>>[0]) => {
      wait.unsubscribe(); // withdraws the record, stops the timer and the resolve stream
      run.emit(escalationResolvedSignal(scheduler.now(), record, resolution.action));
      resume(resolution);
    };
    const settle = (resolution: Resolution<unknown>): boolean => {
      if (wait.closed || resolutionProblem(resolution) !== undefined) return false;
      end(resolution as Resolution<T>);
      return true;
    };
    if (hub) wait.add(awaitResolution(hub, record, settle));
    if (timeoutMs !== undefined) {
      wait.add(timer(timeoutMs, scheduler).subscribe(() => end({ action: 'timeout' })));
    }
    if (resolve) {
      const report = reportFor(run, record);
      try {
        wait.add(
          from(resolve(record)).subscribe({
            next: (resolution) => {
              const problem = resolutionProblem(resolution);
              if (problem === undefined) settle(resolution);
              else report(new TypeError(problem));
            },
            error: report,
          }),
        );
      } catch (error) {
        report(error);
      }
    }
    return wait;
  };
}
