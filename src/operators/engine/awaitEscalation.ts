import { from, type ObservableInput, Subscription, timer } from 'rxjs';
import { awaitResolution } from '../../observability/hub.js';
import { escalationResolvedSignal, observerErrorSignal } from '../../observability/signals.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import { type Resolution, readResolution } from '../../strategies/resolution.js';
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
 * An escalation that waits: given the record (marked `pending: true`), the run, how to
 * announce the escalation (the `escalated` signal, `onEscalate`) and how to resume, it arms
 * the wait, which the stream's unsubscribe ends, and announces.
 */
export type Pause<T> = (
  record: EscalationRecord,
  run: Run<T>,
  announce: () => void,
  resume: Resume<T>,
) => void;

/**
 * Escalation that waits for a person: the subscription stays open, nothing is replayed, and
 * the first valid resolution — from `resolve(record)`, else from
 * `hub.resolveEscalation(record.id, …)` — resumes the stream. Later resolutions are
 * refused; `timeoutMs` ends the wait as a terminal escalation. The wait is part of the
 * stream's subscription: unsubscribing withdraws the pending record and stops the timer.
 *
 * The record is listed on the hub before the escalation is announced, so a resolution
 * given from the `escalated` signal or from `onEscalate` is accepted; it is acted on once
 * the announcement is over, never in the middle of it. `resolve` is asked only when the
 * wait is still on after the announcement.
 */
export function pauseForResolution<T>(
  timeoutMs: number | undefined,
  resolve: ((record: EscalationRecord) => ObservableInput<Resolution<T>>) | undefined,
): Pause<T> {
  return (record, run, announce, resume) => {
    const { hub, scheduler } = run.config;
    const wait = new Subscription();
    run.subscriber.add(wait);
    let announcing = true;
    /** The resolution accepted while the escalation was being announced. */
    let held: Parameters<Resume<T>>[0] | undefined;
    const resumeWith = (resolution: Parameters<Resume<T>>[0]) => {
      const { action } = resolution;
      const reason = action === 'abort' ? resolution.reason : undefined;
      run.emit(escalationResolvedSignal(scheduler.now(), record, action, reason));
      resume(resolution);
    };
    const end = (resolution: Parameters<Resume<T>>[0]) => {
      wait.unsubscribe(); // withdraws the record, stops the timer and the resolve stream
      if (announcing) held = resolution;
      else resumeWith(resolution);
    };
    const settle = (resolution: Resolution<unknown>): boolean => {
      if (wait.closed) return false;
      const read = readResolution(resolution);
      if (typeof read === 'string') return false;
      end(read as Resolution<T>);
      return true;
    };
    if (hub) wait.add(awaitResolution(hub, record, settle, () => scheduler.now()));
    if (timeoutMs !== undefined) {
      wait.add(timer(timeoutMs, scheduler).subscribe(() => end({ action: 'timeout' })));
    }
    announce();
    announcing = false;
    if (held !== undefined) {
      // Unsubscribed meanwhile (by a consumer of the announcement): nothing to resume.
      if (!run.subscriber.closed) resumeWith(held);
      return;
    }
    if (resolve && !wait.closed) {
      const report = reportFor(run, record);
      try {
        wait.add(
          from(resolve(record)).subscribe({
            // An invalid resolution (a hostile one too) is reported, never thrown into RxJS.
            next: (resolution) => {
              const read = readResolution(resolution);
              if (typeof read === 'string') report(new TypeError(read));
              else settle(read);
            },
            error: report,
          }),
        );
      } catch (error) {
        report(error);
      }
    }
  };
}
