/**
 * Child process of the deep-synchronous-failure scenario: runs ONE variant and prints one
 * JSON line. Run by bench/scenarios/deepFailure.ts in a process of its own, with a timeout,
 * because RxJS's variants overflow the stack, stall or wedge queueScheduler.
 *
 *   node --import tsx bench/deep.ts <variant> <failures> <repeats>
 */
import { type Observable, queueScheduler, retry, subscribeOn, timer } from 'rxjs';
import { defaultPatternsRetrying, failingSource } from './fixtures.js';
import { sink } from './harness.js';
import { createRecoveryHub, retryBackoff, withRecovery } from './lib.js';

export const DEEP_VARIANTS = {
  'rxjs-retry': {
    name: 'RxJS retry()',
    note: 'resubscribes synchronously, one stack frame deeper each time',
  },
  'rxjs-retry-queue-delay': {
    name: 'RxJS retry, delay timer(0, queueScheduler)',
    note: 'retry({ delay: () => timer(0, queueScheduler) }), subscribed as usual: the queue is not active yet, so it does not trampoline',
  },
  'rxjs-subscribeOn-queue': {
    name: 'RxJS subscribeOn(queueScheduler), retry()',
    note: 'source.pipe(subscribeOn(queueScheduler), retry())',
  },
  'rxjs-retry-queue-action': {
    name: 'RxJS retry, delay timer(0, queueScheduler), in a queue action',
    note: 'the same retry, subscribed inside queueScheduler.schedule(…): now every resubscription is trampolined — the way to make RxJS survive',
  },
  'with-recovery': {
    name: 'withRecovery, unlimited retry, hub',
    note: 'default patterns with operation_timeout allowed unlimited retries, retry: { baseDelayMs: 0 }, maxAttempts unlimited, a hub with a signals subscriber',
  },
  'retry-backoff': {
    name: 'rx-recovery retryBackoff, unlimited',
    note: 'retryBackoff({ maxRetries: Number.MAX_SAFE_INTEGER, baseDelayMs: 0 }), no hub',
  },
} as const;

export type DeepVariant = keyof typeof DEEP_VARIANTS;

/** How one run of the subscription ended. */
export interface DeepRun {
  /** `completed`: the value arrived and the stream completed; `error`: it errored; `stalled`: neither. */
  readonly outcome: 'completed' | 'error' | 'stalled';
  readonly error?: string;
  /** Subscriptions of the source (the failures + 1 when it completes). */
  readonly subscriptions: number;
  /** Wall time of the subscribe call, ms. */
  readonly ms: number;
  /** Whether a probe scheduled on queueScheduler right after the run ran at once (false: wedged). */
  readonly queueSchedulerWorks: boolean;
}

/** What the child reports. */
export interface DeepOutcome {
  readonly runs: readonly DeepRun[];
  /** Whether an asyncScheduler timer still fired after the last run. */
  readonly asyncSchedulerWorks: boolean;
}

const UNLIMITED = Number.MAX_SAFE_INTEGER;

function build(variant: DeepVariant, source: Observable<number>): Observable<number> {
  switch (variant) {
    case 'rxjs-retry':
    case 'rxjs-retry-queue-action':
      return variant === 'rxjs-retry'
        ? source.pipe(retry())
        : source.pipe(retry({ delay: () => timer(0, queueScheduler) }));
    case 'rxjs-retry-queue-delay':
      return source.pipe(retry({ delay: () => timer(0, queueScheduler) }));
    case 'rxjs-subscribeOn-queue':
      return source.pipe(subscribeOn(queueScheduler), retry());
    case 'with-recovery': {
      const hub = createRecoveryHub();
      hub.signals.subscribe(() => {
        sink.value += 1;
      });
      return source.pipe(
        withRecovery(defaultPatternsRetrying(UNLIMITED), {
          hub,
          retry: { baseDelayMs: 0 },
          maxAttempts: UNLIMITED,
        }),
      );
    }
    case 'retry-backoff':
      return source.pipe(retryBackoff({ maxRetries: UNLIMITED, baseDelayMs: 0 }));
  }
}

async function main(): Promise<void> {
  const [variantArg, failuresArg, repeatsArg] = process.argv.slice(2);
  if (variantArg === undefined || !(variantArg in DEEP_VARIANTS)) {
    throw new Error(
      `usage: deep.ts <${Object.keys(DEEP_VARIANTS).join('|')}> <failures> <repeats>`,
    );
  }
  const variant = variantArg as DeepVariant;
  const failures = Number(failuresArg ?? 100_000);
  const repeats = Number(repeatsArg ?? 1);
  const failing = failingSource(failures);
  const piped = build(variant, failing.source);
  const runs: DeepRun[] = [];
  for (let r = 0; r < repeats; r++) {
    failing.reset();
    let outcome: DeepRun['outcome'] = 'stalled';
    let error: string | undefined;
    const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    const run = () =>
      piped.subscribe({
        error: (e: unknown) => {
          outcome = 'error';
          error = describe(e);
        },
        complete: () => {
          outcome = 'completed';
        },
      });
    const started = performance.now();
    try {
      if (variant === 'rxjs-retry-queue-action') queueScheduler.schedule(run);
      else run();
    } catch (thrown) {
      outcome = 'error';
      error = `thrown: ${describe(thrown)}`;
    }
    const ms = performance.now() - started;
    // Anything still pending gets a moment to finish before the verdict.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let queueSchedulerWorks = false;
    queueScheduler.schedule(() => {
      queueSchedulerWorks = true;
    });
    runs.push({
      outcome,
      ...(error === undefined ? {} : { error }),
      subscriptions: failing.subscriptions,
      ms,
      queueSchedulerWorks,
    });
    if (!queueSchedulerWorks) break;
  }
  const asyncSchedulerWorks = await new Promise<boolean>((resolve) => {
    const guard = setTimeout(() => resolve(false), 1000);
    timer(1).subscribe(() => {
      clearTimeout(guard);
      resolve(true);
    });
  });
  const result: DeepOutcome = { runs, asyncSchedulerWorks };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
  process.exit(0);
}
