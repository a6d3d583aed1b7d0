import assert from 'node:assert/strict';
import { asyncScheduler, defer, Observable, of, type Subscription, throwError } from 'rxjs';
import { createRecoveryHub, type ErrorPattern, withRecovery } from '../../../src/index.js';
import { type Case, isMain, runCases } from './cases.js';

/**
 * Collectability: once a pipeline has ended (or been unsubscribed), nothing of it — its
 * source, the errors it met, the values it carried, its subscriber — stays reachable
 * through the operator instance, the shared hub or a timer. Runs with `--expose-gc`.
 */

const gc = (globalThis as { gc?: () => void }).gc;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Forces collection until every weak target is gone or rounds run out; returns the survivors. */
async function collect(
  refs: readonly WeakRef<object>[],
  finalized: () => number,
  expected: number,
) {
  for (let round = 0; round < 10; round++) {
    await tick();
    gc?.();
    await tick();
    if (refs.every((ref) => ref.deref() === undefined) && finalized() >= expected) break;
  }
  return refs.filter((ref) => ref.deref() !== undefined).length;
}

/** Weak references and a finalization count for the objects of many pipelines. */
function tracker() {
  const refs: WeakRef<object>[] = [];
  let finalized = 0;
  const registry = new FinalizationRegistry<null>(() => {
    finalized += 1;
  });
  return {
    refs,
    finalized: () => finalized,
    track<T extends object>(target: T): T {
      refs.push(new WeakRef(target));
      registry.register(target, null);
      return target;
    },
  };
}

const N = 200;
const patterns: ErrorPattern[] = [
  { id: 'flaky', errorType: 'transient', match: /flaky/, strategy: ['retry', 'alternative'] },
  { id: 'slow', errorType: 'timeout', match: /slow/, strategy: 'retry' },
  { id: 'doomed', errorType: 'quorum', match: /doomed/, strategy: 'escalate' },
];

const completed: Case = {
  name: 'completed pipelines sharing one operator and one hub are collectable',
  async run() {
    assert.equal(typeof gc, 'function', 'run with --expose-gc');
    const hub = createRecoveryHub();
    const seen: unknown[] = [];
    hub.signals.subscribe(() => seen.push(null));
    const t = tracker();
    // One operator instance, reused by every pipeline, kept alive to the end.
    const operator = withRecovery<object>(patterns, {
      hub,
      retry: { baseDelayMs: 0 },
      alternatives: { flaky: [() => of(t.track({ from: 'alternative' }))] },
    });
    // A control that stays reachable: the method must see it survive.
    const kept = t.track({ kept: true });
    const run = (i: number) => {
      let n = 0;
      const source = t.track(
        defer(() =>
          n++ < 4 ? throwError(() => t.track(new Error(`flaky ${i}`))) : of(t.track({ i })),
        ),
      );
      const values: object[] = [];
      const observer = t.track({ next: (value: object) => values.push(value) });
      t.track(source.pipe(operator).subscribe(observer));
      assert.equal(values.length, 1);
    };
    for (let i = 0; i < N; i++) run(i);
    const tracked = t.refs.length;
    const survivors = await collect(t.refs, t.finalized, tracked - 1);
    assert.equal(survivors, 1, `${survivors - 1} of ${tracked - 1} objects still reachable`);
    assert.equal(t.refs[0]?.deref(), kept);
    assert.equal(t.finalized(), tracked - 1);
    assert.equal(hub.snapshot().totalRecoveries, N);
    assert.equal(hub.snapshot().stepsByStrategy.retry, 3 * N);
    assert.equal(hub.snapshot().stepsByStrategy.alternative, N);
    assert.equal(hub.snapshot().strategiesUsed.alternative, N);
    return { tracked, finalized: t.finalized(), signals: seen.length };
  },
};

const unsubscribed: Case = {
  name: 'pipelines unsubscribed mid-backoff on the real scheduler are collectable',
  async run() {
    assert.equal(typeof gc, 'function', 'run with --expose-gc');
    const hub = createRecoveryHub();
    const t = tracker();
    const subscriptions: Subscription[] = [];
    // In a function of its own, so no local of the last pipeline stays on this frame.
    const start = (i: number) => {
      const source = t.track(throwError(() => t.track(new Error(`slow ${i}`))));
      const observer = t.track({ next: () => {}, error: () => {} });
      const operator = withRecovery(patterns, {
        hub,
        scheduler: asyncScheduler,
        retry: { baseDelayMs: 60_000 },
      });
      subscriptions.push(source.pipe(operator).subscribe(observer));
    };
    for (let i = 0; i < N; i++) start(i);
    assert.equal(
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length,
      N,
      'every pipeline waits on a backoff timer',
    );
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    const tracked = t.refs.length;
    const survivors = await collect(t.refs, t.finalized, tracked);
    assert.equal(survivors, 0, `${survivors} of ${tracked} objects still reachable`);
    assert.equal(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length, 0);
    return { tracked, finalized: t.finalized() };
  },
};

const escalatedPending: Case = {
  name: 'escalated pipelines whose onEscalate never settles are collectable once the promise is dropped',
  async run() {
    assert.equal(typeof gc, 'function', 'run with --expose-gc');
    const t = tracker();
    const escalate = (i: number) => {
      const error = t.track(new Error(`doomed ${i}`));
      const source = t.track(new Observable<never>((subscriber) => subscriber.error(error)));
      const caught: unknown[] = [];
      const operator = withRecovery(patterns, {
        escalation: { onEscalate: () => new Promise<void>(() => {}) },
      });
      source.pipe(operator).subscribe({ error: (e: unknown) => caught.push(t.track(e as object)) });
      assert.equal(caught.length, 1);
    };
    for (let i = 0; i < N; i++) escalate(i);
    const tracked = t.refs.length;
    const survivors = await collect(t.refs, t.finalized, tracked);
    assert.equal(survivors, 0, `${survivors} of ${tracked} objects still reachable`);
    return { tracked, finalized: t.finalized() };
  },
};

export const collectCases: readonly Case[] = [completed, unsubscribed, escalatedPending];

if (isMain(import.meta.url)) await runCases(collectCases);
