import {
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  EMPTY,
  filter,
  mergeMap,
  of,
  repeat,
  type SchedulerLike,
  Subscription,
  throwError,
  timer,
} from 'rxjs';
import { runWorkflow } from '../examples/codegen-workflow/workflow.js';
import { serveDashboard } from '../src/dashboard.js';
import { type CircuitBreaker, createCircuitBreaker } from '../src/fleet/circuitBreaker.js';
import { circuitOpenPattern } from '../src/fleet/circuitOpenPattern.js';
import { createRetryBudget, type RetryBudget } from '../src/fleet/retryBudget.js';
import {
  createRecoveryHub,
  defaultPatterns,
  type RecoveryHub,
  withRecovery,
} from '../src/index.js';
import { circuitBreaker } from '../src/operators/circuitBreaker.js';
import { hedge } from '../src/operators/hedge.js';
import { connectRedis, openStore } from './escalations.js';
import { UsageError } from './usage.js';

/** What `--demo` runs on a hub, and how to stop it. */
export interface DemoScene {
  readonly breakers: readonly CircuitBreaker[];
  readonly budgets: readonly RetryBudget[];
  stop(): void;
}

/** The model API is down for 12 s of every 40 s. */
const OUTAGE = { every: 40_000, from: 14_000, to: 26_000 };

/**
 * Everything `rx-recovery dashboard --demo` shows, on `scheduler` (real time by default):
 * - the code-generation workflow of `rx-recovery demo`, round after round (12 contracts,
 *   fault rate 0.3, a new seed each round), its escalated reviews waiting for a person;
 * - a model API called every 600 ms through the breaker `model-api` and hedged on the
 *   budget `model-api`; it is down 12 s of every 40 s, so the breaker opens, tries again
 *   half-open, and closes; callers get a cached completion meanwhile;
 * - a review desk: every 20 s (at most 3 waiting) a review fails its quorum twice more and
 *   escalates with `await`, waiting for a person on the page; "retry" makes it pass.
 */
export function startDemoScene(
  hub: RecoveryHub,
  scheduler: SchedulerLike = asyncScheduler,
): DemoScene {
  const subscription = new Subscription();

  let round = 0;
  subscription.add(
    defer(() =>
      runWorkflow({
        contracts: 12,
        faultRate: 0.3,
        seed: 42 + round++,
        concurrency: 3,
        scheduler,
        hub,
        onEscalate: () => {},
        awaitHuman: true, // its quorum reviews that escalate wait on the page (60 s at most)
      }),
    )
      .pipe(repeat({ delay: () => timer(2000, scheduler) }))
      .subscribe(),
  );

  const breaker = createCircuitBreaker({
    name: 'model-api',
    trip: { consecutive: 3 },
    openMs: 5000,
    hub,
    scheduler,
  });
  const budget = createRetryBudget({
    name: 'model-api',
    ratio: 0.1,
    minPerSecond: 0.5,
    ttlMs: 10_000,
    scheduler,
  });
  const started = scheduler.now();
  const down = () => {
    const t = (scheduler.now() - started) % OUTAGE.every;
    return t >= OUTAGE.from && t < OUTAGE.to;
  };
  let calls = 0;
  const complete = () =>
    defer(() => {
      calls += 1;
      const latencyMs = 60 + ((calls * 37) % 5) * 70; // 60 to 340 ms: the slow ones are hedged
      return timer(latencyMs, scheduler).pipe(
        concatMap(() =>
          down()
            ? throwError(() =>
                Object.assign(new Error('503 Service Unavailable: the model is overloaded'), {
                  status: 503,
                }),
              )
            : of('completion'),
        ),
      );
    }).pipe(
      circuitBreaker(breaker),
      hedge({ delayMs: 250, budget, scheduler }),
      // The circuit_open pattern routes BrokenCircuitError past retries, to the cached answer.
      withRecovery<string>([circuitOpenPattern, ...defaultPatterns], {
        hub,
        scheduler,
        context: { workflowId: 'codegen-demo', nodeName: 'model_api' },
        retry: { baseDelayMs: 250 },
        degradation: { levels: [{ name: 'cached completion', value: 'cached' }] },
        escalation: { terminal: 'complete' },
      }),
      catchError(() => EMPTY),
    );
  subscription.add(timer(0, 600, scheduler).pipe(mergeMap(complete, 4)).subscribe());

  let reviews = 0;
  const review = () => {
    reviews += 1;
    const contract = `contract-${String(100 + reviews)}`;
    let attempts = 0;
    return defer(() => {
      attempts += 1;
      return attempts <= 3
        ? timer(300, scheduler).pipe(
            concatMap(() =>
              throwError(
                () => new Error(`Quorum not reached: 1 of 3 reviewers approved ${contract}`),
              ),
            ),
          )
        : of('approved on a second look');
    }).pipe(
      withRecovery<string>(undefined, {
        hub,
        scheduler,
        context: {
          workflowId: 'codegen-demo',
          nodeName: 'human_review',
          correlationId: `${contract}/human_review`,
        },
        retry: { baseDelayMs: 500 },
        escalation: { await: { timeoutMs: 600_000 } },
      }),
      catchError(() => EMPTY),
    );
  };
  const waitingReviews = () =>
    hub.pendingEscalations().filter((record) => record.context.nodeName === 'human_review').length;
  subscription.add(
    timer(2000, 20_000, scheduler)
      .pipe(
        filter(() => waitingReviews() < 3),
        mergeMap(review),
      )
      .subscribe(),
  );

  return {
    breakers: [breaker],
    budgets: [budget],
    stop() {
      subscription.unsubscribe();
      breaker.dispose();
    },
  };
}

export interface DashboardCommandOptions {
  readonly port: number;
  readonly redis: string | undefined;
  /** The store's key prefix with --redis (default rx-recovery). */
  readonly prefix?: string | undefined;
  readonly demo: boolean;
}

/**
 * `rx-recovery dashboard`: serves the page until `stopped` settles (the CLI passes
 * SIGINT/SIGTERM), then closes everything it started.
 */
export async function dashboardCommand(
  options: DashboardCommandOptions,
  out: NodeJS.WritableStream,
  stopped: Promise<unknown>,
): Promise<number> {
  if (!options.demo && options.redis === undefined) {
    throw new UsageError(
      "dashboard needs something to show: add --demo (the code-generation workflow, live) or --redis URL (a fleet's shared breakers, budgets and waiting escalations); an application serves its own hub with serveDashboard from rx-recovery/dashboard",
    );
  }
  if (options.prefix !== undefined && options.redis === undefined) {
    throw new UsageError('--prefix goes with --redis URL: it names the keys of a shared store');
  }
  // With --redis, the hub shares the fleet's waiting escalations through the store, and a
  // read-only view of the store shows the breakers and budgets every process shares.
  const client = options.redis === undefined ? undefined : await connectRedis(options.redis);
  const store = client === undefined ? undefined : openStore(client, options.prefix);
  const fleet = store?.watchFleet();
  const disconnect = async () => {
    fleet?.close();
    await store?.close();
    await client?.quit().catch(() => client.disconnect());
  };
  const hub = createRecoveryHub({
    name: options.demo ? 'codegen-demo' : 'fleet',
    ...(store === undefined ? {} : { store }),
  });
  await store?.sync();
  const scene = options.demo ? startDemoScene(hub) : { breakers: [], budgets: [], stop: () => {} };
  let dashboard: Awaited<ReturnType<typeof serveDashboard>>;
  try {
    dashboard = await serveDashboard(hub, {
      port: options.port,
      breakers: scene.breakers,
      budgets: scene.budgets,
      fleet,
    });
  } catch (error) {
    scene.stop();
    await disconnect();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new UsageError(
        `--port ${options.port} is ${code === 'EADDRINUSE' ? 'in use' : 'not allowed'}; pick another, or 0 for a free one`,
      );
    }
    throw error;
  }
  out.write(
    [
      `rx-recovery dashboard: ${dashboard.url}`,
      ...(options.demo
        ? [
            '  live: the code-generation workflow (12 contracts a round), a model API behind the',
            '  breaker "model-api" that fails 12 s of every 40 s, and reviews that escalate and',
            '  wait for you on the page.',
          ]
        : []),
      ...(store === undefined
        ? []
        : [
            `  the fleet's shared breakers, budgets and waiting escalations: ${options.redis}, prefix ${store.prefix}.`,
          ]),
      "  The link holds this run's token; Ctrl-C stops.",
      '',
    ].join('\n'),
  );
  await stopped;
  scene.stop();
  await dashboard.close();
  await disconnect();
  return 0;
}
