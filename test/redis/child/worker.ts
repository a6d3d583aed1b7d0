/**
 * One process of a fleet, driven by the test over IPC (`fork`): its own ioredis client,
 * its own store, breaker, budget and hub. Each request is `{ id, op, args }`; the answer is
 * `{ id, ok, value | error }`; things that happen later are sent as `{ event, … }`: the
 * breaker's state at each transition (`state`), the hub's waiting escalations at each
 * change (`escalations`), a paused stream's `value`, `complete` or `error` — what the
 * test's waits re-check on.
 */
import { Redis } from 'ioredis';
import { defer, type Observable, of, Subject, Subscription, throwError } from 'rxjs';
import { budgetProtocolOf } from '../../../src/fleet/retryBudget.js';
import {
  type CircuitBreaker,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isBrokenCircuitError,
  type RecoveryHub,
  type RetryBudget,
  type TripRule,
  withRecovery,
} from '../../../src/index.js';
import { createRedisStore, type RedisStore } from '../../../src/redis.js';
import type { Resolution } from '../../../src/strategies/resolution.js';
import { quorumError } from '../../helpers/errors.js';
import { shiftedClock } from '../clock.js';

interface Init {
  port: number;
  prefix: string;
  syncMs?: number;
  flushMs?: number;
  timeoutMs?: number;
  breaker?: { trip: TripRule; openMs?: number; halfOpenCalls?: number };
  budget?: { ratio?: number; minPerSecond?: number; ttlMs?: number };
}

let clock = shiftedClock();
const unhandled: string[] = [];
const signals: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));

let client: Redis | undefined;
let store: RedisStore | undefined;
let hub: RecoveryHub | undefined;
let breaker: CircuitBreaker | undefined;
let budget: RetryBudget | undefined;
/** Calls held open by `hold`, until `finish`. */
let held: Subject<string>[] = [];
/** What is reported of the current objects (`state`, `escalations` events). */
let reporting = new Subscription();

/** Sends `message` to the test, while the channel is open (`close` lets go of it). */
const send = (message: unknown) => {
  if (process.connected) process.send?.(message);
};

type Result = 'ok' | 'failed' | 'refused';

/** One call through the breaker; resolves how it ended (a half-open call is decided later). */
function call(source: Observable<string>): Promise<Result> {
  return new Promise((resolve) => {
    source.pipe(circuitBreaker(breaker as CircuitBreaker)).subscribe({
      next: () => resolve('ok'),
      complete: () => resolve('ok'),
      error: (error: unknown) => resolve(isBrokenCircuitError(error) ? 'refused' : 'failed'),
    });
  });
}

const failing = () => throwError(() => new Error('HTTP 503 Service Unavailable'));

const ops: Record<string, (args: never) => unknown> = {
  /** A fresh store, breaker, budget and hub (the previous ones, of an earlier test, closed). */
  async init(args: Init) {
    reporting.unsubscribe();
    reporting = new Subscription();
    await store?.close();
    await client?.quit();
    breaker = undefined;
    budget = undefined;
    held = [];
    signals.length = 0;
    clock = shiftedClock(); // the processes of a test agree on the time again
    client = new Redis({
      port: args.port,
      host: '127.0.0.1',
      retryStrategy: () => 50,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => {});
    store = createRedisStore({
      client,
      prefix: args.prefix,
      syncMs: args.syncMs ?? 1000,
      flushMs: args.flushMs ?? 50,
      timeoutMs: args.timeoutMs ?? 500,
    });
    hub = createRecoveryHub({ store });
    hub.signals.subscribe((signal) => signals.push(signal.type));
    reporting.add(
      hub.escalations$.subscribe((records) =>
        send({ event: 'escalations', pending: records.map((record) => record.id) }),
      ),
    );
    if (args.breaker !== undefined) {
      breaker = createCircuitBreaker({
        name: 'shared',
        ...args.breaker,
        store,
        hub,
        scheduler: clock,
      });
      reporting.add(breaker.state$.subscribe((state) => send({ event: 'state', state })));
    }
    if (args.budget !== undefined) {
      budget = createRetryBudget({ name: 'shared', ...args.budget, store, scheduler: clock });
    }
    return store.sync();
  },
  advance({ ms }: { ms: number }) {
    clock.advance(ms);
  },
  /** `n` calls that fail (`fail`) or succeed (`ok`), one after the other. */
  async calls({ outcome, n }: { outcome: 'ok' | 'fail'; n: number }) {
    const results: Result[] = [];
    for (let index = 0; index < n; index++) {
      results.push(await call(defer(() => (outcome === 'ok' ? of('ok') : failing()))));
    }
    return results;
  },
  /** `n` calls that stay open until `finish`: how many were admitted. */
  async hold({ n }: { n: number }) {
    const decided = await Promise.all(
      Array.from({ length: n }, () => {
        const subject = new Subject<string>();
        return new Promise<'admitted' | Result>((resolve) => {
          void call(
            defer(() => {
              held.push(subject);
              resolve('admitted');
              return subject;
            }),
          ).then(resolve);
        });
      }),
    );
    return decided.filter((result) => result === 'admitted').length;
  },
  finish({ outcome }: { outcome: 'ok' | 'fail' }) {
    for (const subject of held) {
      if (outcome === 'ok') subject.next('ok');
      else subject.error(new Error('HTTP 503 Service Unavailable'));
    }
    held = [];
  },
  state() {
    return {
      state: breaker?.state,
      signals,
      unhandled,
      healthy: store?.healthy,
      budget: budget?.snapshot(),
    };
  },
  /**
   * `deposits` requests, then `attempts` retries at once, then one exchange with Redis
   * (`store.sync()`, what its next flush would do): how many retries were paid. A test
   * that calls it in rounds, every process at once, interleaves their exchanges.
   */
  async retries({ deposits = 0, attempts }: { deposits?: number; attempts: number }) {
    const protocol = budgetProtocolOf(budget);
    if (protocol === undefined) throw new Error('no budget');
    for (let index = 0; index < deposits; index++) protocol.deposit();
    let paid = 0;
    for (let index = 0; index < attempts; index++) if (protocol.tryWithdraw()) paid++;
    await store?.sync();
    return paid;
  },
  /** A stream that escalates at its first error and waits for a person: its record's id. */
  escalate() {
    const waiting = hub as RecoveryHub;
    const before = new Set(waiting.pendingEscalations().map((record) => record.id));
    throwError(() => quorumError)
      .pipe(
        withRecovery<string>(undefined, {
          hub: waiting,
          maxAttempts: 0,
          escalation: { await: true },
        }),
      )
      .subscribe({
        next: (value) => send({ event: 'value', value }),
        complete: () => send({ event: 'complete' }),
        error: (error: unknown) => send({ event: 'error', error: String(error) }),
      });
    return waiting.pendingEscalations().find((record) => !before.has(record.id))?.id;
  },
  pending() {
    return hub?.pendingEscalations().map((record) => record.id);
  },
  resolve({ id, resolution }: { id: string; resolution: Resolution<unknown> }) {
    return hub?.resolveEscalation(id, resolution);
  },
  sync() {
    return store?.sync();
  },
  /**
   * Closes the store and quits the client, then lets go of the IPC channel: from here the
   * process must exit on its own. Answers with the handles still active.
   */
  async close() {
    reporting.unsubscribe();
    await store?.close();
    await client?.quit();
    setImmediate(() => process.disconnect());
    return { resources: process.getActiveResourcesInfo(), unhandled };
  },
};

process.on('message', (message: { id: number; op: string; args: unknown }) => {
  const { id, op, args } = message;
  Promise.resolve()
    .then(() => (ops[op] as (args: unknown) => unknown)(args))
    .then(
      (value) => send({ id, ok: true, value }),
      (error: unknown) => send({ id, ok: false, error: String(error) }),
    );
});
send({ event: 'ready' });
