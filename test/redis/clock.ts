import { asyncScheduler, type SchedulerLike } from 'rxjs';

/**
 * A scheduler whose clock the test moves (`advance`), on top of the wall clock so that the
 * processes of a test agree: `now()` is `Date.now() + offset`. Timers run on
 * asyncScheduler (the breaker and the budget set none).
 */
export function shiftedClock(): SchedulerLike & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike['schedule'],
    advance(ms: number) {
      offset += ms;
    },
  };
}
