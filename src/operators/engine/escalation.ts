import type { Subscription } from 'rxjs';
import { escalatedSignal, observerErrorSignal } from '../../observability/signals.js';
import type { EscalationRecord } from '../../strategies/EscalationError.js';
import type { PauseInput } from './awaitEscalation.js';
import { resetBudgets } from './decide.js';
import type { EngineConfig, Run } from './engine.js';

/**
 * The engine's `escalate`: publishes `escalated`, tells `onEscalate` without waiting for
 * it (a throw or a rejection becomes an `observer_error` signal carrying the record), then
 * ends the stream — with the decision's `EscalationError`, or by completing — or, with
 * `pause` (`escalation.await`), keeps it open until a resolution resumes it.
 */
export function escalation<T>(
  onEscalate: ((record: EscalationRecord) => void | Promise<void>) | undefined,
  pause: ((input: PauseInput<T>) => Subscription) | undefined,
): NonNullable<EngineConfig<T>['escalate']> {
  const tell = (run: Run<T>, record: EscalationRecord) => {
    const context = run.subscriptionContext;
    // Reported even after the stream has ended (escalation ends it at once): the record
    // must reach somebody.
    const report = (error: unknown) =>
      run.emit(
        observerErrorSignal(
          { ...context, at: run.config.scheduler.now() },
          error,
          'onEscalate',
          record,
        ),
      );
    if (run.publishing) run.emit(escalatedSignal(context, run.now, record));
    if (onEscalate === undefined) return;
    try {
      const returned: unknown = onEscalate(record);
      if (returned !== null && typeof (returned as PromiseLike<unknown>)?.then === 'function') {
        (returned as PromiseLike<unknown>).then(undefined, report);
      }
    } catch (error) {
      report(error);
    }
  };
  return (run, decision, error) => {
    const { subscriber } = run;
    const end = () => {
      run.finish(false, error);
      if (decision.complete) subscriber.complete();
      else subscriber.error(decision.error);
    };
    if (pause === undefined) {
      tell(run, decision.record);
      end();
      return;
    }
    const record: EscalationRecord = Object.freeze({ ...decision.record, pending: true });
    tell(run, record);
    const { hub, scheduler } = run.config;
    subscriber.add(
      pause({
        record,
        hub,
        scheduler,
        emit: (signal) => run.emit(signal),
        resume: {
          value: (value) => {
            run.finish(true);
            subscriber.next(value);
            subscriber.complete();
          },
          retry: () => {
            if (run.plan !== null) resetBudgets(run.plan);
            run.subscribeTo(run.source);
          },
          source: (next) => run.subscribeTo(next),
          complete: () => {
            run.finish(true);
            subscriber.complete();
          },
          abort: () => {
            run.finish(false, error);
            subscriber.error(decision.error);
          },
          timeout: end,
        },
      }),
    );
  };
}
