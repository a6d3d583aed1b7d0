import type { AttemptContext } from '../../strategies/context.js';
import type { Run } from './engine.js';

/**
 * The end of one attempt, whose `AbortController` is made only when somebody reads the
 * signal: aborting one makes a `DOMException` with a stack, which a loop of steps that never
 * look at their signal should not pay for. Read after the attempt ended, the signal is
 * already aborted. The engine ends it (`unsubscribe`) with the attempt it is tied to.
 */
class AttemptAbort {
  private controller: AbortController | undefined;
  private ended = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.ended) this.controller.abort();
    }
    return this.controller.signal;
  }

  unsubscribe(): void {
    this.ended = true;
    this.controller?.abort(); // a second abort does nothing
  }
}

/**
 * The {@link AttemptContext} of a step of `run`: the subscription's context, the error at
 * hand, and an `AbortSignal` aborted when the step's attempt ends (the engine ties the
 * abort to the attempt it subscribes next, or aborts it when no step is taken). Given as
 * `attemptContext` by the operators whose strategies read it.
 */
export function attemptContext<T>(run: Run<T>, attempt: number): AttemptContext {
  const abort = (run.abort as AttemptAbort | null) ?? new AttemptAbort();
  run.abort = abort;
  const { classification } = run;
  const { pattern } = classification;
  return Object.freeze({
    ...run.subscriptionContext,
    error: run.error,
    errorType: classification.errorType,
    ...(pattern && { patternId: pattern.id }),
    attempt,
    get signal() {
      return abort.signal;
    },
  });
}
