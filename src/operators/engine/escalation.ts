import { escalatedSignal } from '../../observability/signals.js';
import { EscalationError, type EscalationRecord } from '../../strategies/EscalationError.js';
import { type Pause, reportFor } from './awaitEscalation.js';
import { resetBudgets } from './decide.js';
import type { EngineConfig, Recovery } from './engine.js';

/**
 * The engine's `escalate`: publishes `escalated`, tells `onEscalate` without waiting for
 * it (a throw or a rejection becomes an `observer_error` signal carrying the record), then
 * ends the stream — with the step's `EscalationError`, or by completing — or, with
 * `pause` (`escalation.await`), keeps it open until a resolution resumes it (the wait is
 * armed first, so that a resolution given from `escalated` or `onEscalate` is accepted).
 */
export function escalation<T>(
  onEscalate: ((record: EscalationRecord) => void | Promise<void>) | undefined,
  pause: Pause<T> | undefined,
): NonNullable<EngineConfig<T>['escalate']> {
  return (run, step, error) => {
    const { subscriber } = run;
    // An escalation ends the recovery's deadline (`deadlineMs`): it never falls into the
    // escalation, nor into what a person's resolution resumes.
    const ongoing = run.recovery as Recovery;
    ongoing.timer?.unsubscribe();
    ongoing.deadlineAt = Number.POSITIVE_INFINITY;
    const record: EscalationRecord = pause
      ? Object.freeze({ ...step.record, pending: true })
      : step.record;
    const announce = () => {
      if (run.publishing) run.emit(escalatedSignal(run.subscriptionContext, run.now, record));
      try {
        const returned = onEscalate?.(record) as PromiseLike<void> | undefined;
        if (typeof returned?.then === 'function') returned.then(undefined, reportFor(run, record));
      } catch (thrown) {
        reportFor(run, record)(thrown);
      }
    };
    const end = () => {
      if (!step.complete) {
        run.fail(error, step.error);
        return;
      }
      run.finish(false, error);
      subscriber.complete();
    };
    if (!pause) {
      announce();
      end();
      return;
    }
    pause(record, run, announce, (resolution) => {
      switch (resolution.action) {
        case 'retry':
          resetBudgets(run.plan as NonNullable<typeof run.plan>);
          run.subscribeTo(run.source);
          break;
        case 'source':
          run.subscribeTo(resolution.source);
          break;
        case 'abort':
          // The person's reason is in the message (a new error: the step's has none).
          run.fail(
            error,
            resolution.reason === undefined
              ? step.error
              : new EscalationError(step.record, error, resolution.reason),
          );
          break;
        case 'timeout':
          end();
          break;
        default:
          // `value` or `complete`: the recovery has succeeded.
          run.finish(true);
          if (resolution.action === 'value') subscriber.next(resolution.value);
          subscriber.complete();
      }
    });
  };
}
