import { TimeoutError, timer } from 'rxjs';
import type { BudgetHooks, BudgetProtocol } from '../../fleet/retryBudget.js';
import type { EngineConfig, Recovery, Run } from './engine.js';

/*
 * The engine's parts for the fleet options of `withRecovery`: `attemptTimeoutMs`,
 * `deadlineMs` and a shared retry `budget`. Only `withRecovery` offers them, so only it
 * carries them.
 */

/**
 * `attemptTimeoutMs`: each attempt that neither emits nor completes within `ms` fails
 * with a `TimeoutError`. With `sourceTimed`, the source's own attempts are already timed
 * (inside a breaker), and only alternatives, levels and corrections are timed here.
 */
export function attemptTimeouts<T>(
  ms: number,
  sourceTimed: boolean,
): NonNullable<EngineConfig<T>['attach']> {
  return (run, inner, next) => {
    if (sourceTimed && next === run.source) return;
    inner.timeout = timer(ms, run.config.scheduler).subscribe(() =>
      inner.error(new TimeoutError()),
    );
    inner.add(inner.timeout);
  };
}

/**
 * `deadlineMs`: a recovery that has not succeeded within `ms` of its first error stops —
 * its attempt or backoff wait ends — and the stream errors with `error(lastError)`, or
 * escalates when the plan can. An escalation ends the deadline (`escalation` disarms it).
 */
export function recoveryDeadline<T>(
  ms: number,
  error: (cause: unknown) => Error,
): NonNullable<EngineConfig<T>['deadline']> {
  const reached = (run: Run<T>, ongoing: Recovery) => {
    if (run.recovery !== ongoing) return;
    run.unsubscribe(); // the attempt or the wait under way
    const { classification } = ongoing;
    const escalates = classification.plan.includes('escalate');
    run.tick();
    run.act(error(ongoing.lastError), { ...classification, plan: escalates ? ['escalate'] : [] });
  };
  return {
    start(run, recovery, now) {
      recovery.deadlineAt = now + ms;
      recovery.timer = timer(ms, run.config.scheduler).subscribe(() => reached(run, recovery));
      run.subscriber.add(recovery.timer);
    },
    passes(run, recovery, end) {
      // A backoff ending at the deadline or past it is not waited: at that instant the
      // deadline falls first, and the step it waited for could not run anyway.
      if (end < (recovery.deadlineAt as number)) return false;
      reached(run, recovery);
      return true;
    },
  };
}

/**
 * A shared retry budget: a subscription deposits (unless an operator downstream did for
 * this request), the source's subscriptions are under its cover, `retry` and `correct`
 * steps withdraw, and a step it cannot pay for is skipped with a `retry_budget_exhausted`
 * signal.
 * The budget brings these parts along (`BudgetHooks`, on the protocol of every budget
 * `createRetryBudget` makes), so that a program that makes none does not carry them.
 */
export function budgetOf<T>(
  budget: BudgetProtocol,
): Pick<EngineConfig<T>, 'mayRetry' | 'subscribed' | 'cover' | 'skipped'> {
  return (budget as BudgetProtocol & { hooks: BudgetHooks }).hooks as Pick<
    EngineConfig<T>,
    'mayRetry' | 'subscribed' | 'cover' | 'skipped'
  >;
}
