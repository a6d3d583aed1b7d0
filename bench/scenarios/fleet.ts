import { ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import OpossumBreaker from 'opossum';
import { firstValueFrom, map, type Observable, of, range, retry } from 'rxjs';
import type { BenchConfig } from '../config.js';
import {
  interleave,
  type ScenarioResult,
  sink,
  type Variant,
  type VariantResult,
} from '../harness.js';
import {
  type Fleet,
  fleet,
  isRecoveryConfigError,
  type WithRecoveryOptions,
  withRecovery,
} from '../lib.js';

export const BREAKER_OURS = 'rx-recovery: of(1).pipe(circuitBreaker(breaker)), subscribed';
export const BREAKER_COCKATIEL = 'cockatiel: await breaker.execute(() => 1)';
export const BREAKER_OPOSSUM = 'opossum: await breaker.fire()';
export const BREAKER_PLAIN = 'of(1) subscribed, no breaker';
export const BREAKER_ONE_OPERATOR = 'RxJS: of(1).pipe(map((x) => x)), subscribed';
export const BREAKER_AWAIT_ALONE = 'await (async () => 1)(), no breaker';
export const FLEET_HAPPY_RXJS_RETRY = 'RxJS retry({ count: 3 })';
export const FLEET_HAPPY_WITH_RECOVERY = 'withRecovery(undefined, { breaker, budget })';

/** Calls per measured call of the per-call table. */
const CALLS = 100;

/** Why the fleet tables are missing from this run, as a scenario with no rows. */
function skipped(reason: string): ScenarioResult[] {
  return [
    {
      id: 'fleet/breaker-call',
      title: 'Fleet: a closed circuit breaker, per call — skipped',
      unit: 'ns/call',
      baseline: null,
      variants: [],
      notes: [`Not measured in this run: ${reason}.`],
    },
  ];
}

/** A closed breaker's cost per call: ours (synchronous), cockatiel's and opossum's (awaited). */
async function perCall(api: Fleet, config: BenchConfig): Promise<ScenarioResult> {
  const breaker = api.createCircuitBreaker({ name: 'bench', trip: { consecutive: 5 } });
  const guarded = of(1).pipe(api.circuitBreaker<number>(breaker));
  const plain = of(1);
  const mapped = of(1).pipe(map((x: number) => x));
  const asyncOne = async () => 1;
  const cockatiel = cockatielBreaker(handleAll, {
    halfOpenAfter: 10_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const one = () => 1;
  // opossum's types want an action that returns a promise, as its users write it.
  const opossum = new OpossumBreaker(async () => 1);
  let completed = 0;
  const observer = {
    next: (value: number) => {
      sink.value += value;
    },
    complete: () => {
      completed += 1;
    },
  };
  const subscribeMany = (observable: Observable<number>) => () => {
    for (let i = 0; i < CALLS; i++) observable.subscribe(observer);
  };
  const variants: Variant[] = [
    {
      name: BREAKER_PLAIN,
      fn: subscribeMany(plain),
      units: CALLS,
      note: 'what the subscription alone costs',
    },
    {
      name: BREAKER_ONE_OPERATOR,
      fn: subscribeMany(mapped),
      units: CALLS,
      note: 'the cheapest RxJS operator: a floor no operator call goes below (one operator subscriber more)',
    },
    {
      name: BREAKER_OURS,
      fn: subscribeMany(guarded),
      units: CALLS,
      note: `createCircuitBreaker({ trip: { consecutive: 5 } }), closed; synchronous, to completion (loaded from ${api.from})`,
    },
    {
      name: 'rx-recovery: await firstValueFrom(guarded)',
      async: true,
      fn: async () => {
        for (let i = 0; i < CALLS; i++) sink.value += await firstValueFrom(guarded);
      },
      units: CALLS,
      note: 'the same call awaited, as promise-based code would: for information',
    },
    {
      name: BREAKER_AWAIT_ALONE,
      async: true,
      fn: async () => {
        for (let i = 0; i < CALLS; i++) sink.value += await asyncOne();
      },
      units: CALLS,
      note: "what the peers' awaited call costs without a breaker",
    },
    {
      name: BREAKER_COCKATIEL,
      async: true,
      fn: async () => {
        for (let i = 0; i < CALLS; i++) sink.value += await cockatiel.execute(one);
      },
      units: CALLS,
      note: 'cockatiel 3.2.1: circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) })',
    },
    {
      name: BREAKER_OPOSSUM,
      async: true,
      fn: async () => {
        for (let i = 0; i < CALLS; i++) sink.value += (await opossum.fire()) as number;
      },
      units: CALLS,
      note: 'opossum 9.0.0: new CircuitBreaker(async () => 1), default options (a 10 s timeout timer set and cleared per call, events, rolling statistics)',
    },
  ];
  // Each must really complete its calls, with the breakers closed.
  completed = 0;
  for (const variant of variants) await variant.fn();
  if (completed !== 3 * CALLS) throw new Error('fleet: a synchronous call did not complete');
  try {
    const results = await interleave(variants, BREAKER_OURS, config.timing);
    const states = `rx-recovery ${breaker.state}, cockatiel ${cockatiel.state === 0 ? 'closed' : cockatiel.state}, opossum ${opossum.closed ? 'closed' : 'not closed'}`;
    if (breaker.state !== 'closed' || !opossum.closed) {
      throw new Error(`fleet: a breaker left the closed state (${states})`);
    }
    return {
      id: 'fleet/breaker-call',
      title: `Fleet: a closed circuit breaker, per call — ns per call`,
      unit: 'ns/call',
      baseline: BREAKER_OURS,
      variants: results,
      notes: [
        `Each measured call makes ${CALLS} calls through the breaker; ns per call = sample / ${CALLS}. Ratios are to our operator: a peer's ratio is how many times more a call costs there. Ours is synchronous; the peers are promise-based and every call waits at least for microtasks.`,
        `States after the run: ${states}.`,
      ],
    };
  } finally {
    breaker.dispose();
    opossum.shutdown();
  }
}

/** Support for `withRecovery`'s `breaker` and `budget` options: an operator, or why not. */
function fleetRecovery(
  options: WithRecoveryOptions<number>,
): ReturnType<typeof withRecovery<number>> | string {
  try {
    return withRecovery<number>(undefined, options);
  } catch (error) {
    if (!isRecoveryConfigError(error)) throw error;
    const message = String((error as Error).message);
    return /unknown option/.test(message) && /breaker|budget/.test(message)
      ? 'not wired yet (withRecovery refuses `breaker` and `budget`: "unknown option")'
      : `refused: ${message.replaceAll('\n', '; ')}`;
  }
}

/** `range(0, n)` with no error through `withRecovery({ breaker, budget })`, against RxJS `retry`. */
async function happyPath(api: Fleet, config: BenchConfig): Promise<ScenarioResult> {
  const n = config.happyValues;
  const source = range(0, n);
  const breaker = api.createCircuitBreaker({ name: 'bench-happy', trip: { consecutive: 5 } });
  const budget = api.createRetryBudget();
  const observer = {
    next: (value: number) => {
      sink.value += value;
    },
  };
  const recovery = fleetRecovery({ breaker, budget } as unknown as WithRecoveryOptions<number>);
  const piped: [string, Observable<number>, string?][] = [
    ['nothing', source, 'range(0, n).subscribe() alone'],
    [FLEET_HAPPY_RXJS_RETRY, source.pipe(retry({ count: 3 }))],
    ['withRecovery() (default patterns, no fleet)', source.pipe(withRecovery())],
    ['circuitBreaker(breaker) alone', source.pipe(api.circuitBreaker<number>(breaker))],
    ...(typeof recovery === 'string'
      ? []
      : [
          [
            FLEET_HAPPY_WITH_RECOVERY,
            source.pipe(recovery),
            'a closed breaker and a retry budget (createRetryBudget() defaults): one call and one deposit per subscription',
          ] as [string, Observable<number>, string],
        ]),
  ];
  for (const [name, observable] of piped) {
    let values = 0;
    let completed = false;
    observable.subscribe({
      next: () => {
        values += 1;
      },
      complete: () => {
        completed = true;
      },
    });
    if (values !== n || !completed)
      throw new Error(`fleet happy path: ${name} delivered ${values} of ${n}`);
  }
  const variants = piped.map(([name, observable, note]) => ({
    name,
    fn: () => observable.subscribe(observer),
    units: n,
    ...(note === undefined ? {} : { note }),
  }));
  try {
    const results: VariantResult[] = await interleave(
      variants,
      FLEET_HAPPY_RXJS_RETRY,
      config.timing,
    );
    if (typeof recovery === 'string') {
      results.push({
        name: FLEET_HAPPY_WITH_RECOVERY,
        median: null,
        min: null,
        max: null,
        ratio: null,
        note: recovery,
        extra: { wired: false, status: recovery },
      });
    }
    return {
      id: 'fleet/happy-path',
      title: `Fleet, happy path: range(0, ${n.toLocaleString('en-US')}) through a breaker and a budget, no error — ns per value`,
      unit: 'ns/value',
      baseline: FLEET_HAPPY_RXJS_RETRY,
      variants: results,
      notes: [
        'Each sample is one whole subscription (all n values); ns per value = sample / n. The breaker and the budget are consulted once per subscription, so per value they should cost nothing.',
      ],
    };
  } finally {
    breaker.dispose();
  }
}

/**
 * Fleet protection: what a closed circuit breaker costs per call, next to cockatiel's and
 * opossum's, and the happy path through `withRecovery` with a breaker and a retry budget.
 */
export async function fleetScenario(config: BenchConfig): Promise<ScenarioResult[]> {
  if (typeof fleet === 'string') return skipped(fleet);
  return [await perCall(fleet, config), await happyPath(fleet, config)];
}
