import { get, type IncomingMessage } from 'node:http';
import {
  defer,
  lastValueFrom,
  type Observable,
  of,
  Observable as RxObservable,
  type Subscription,
  throwError,
} from 'rxjs';
import type { DashboardUpdate } from '../../src/dashboard.js';
import { type RecoveryHub, withRecovery } from '../../src/index.js';
import { quorumError, timeoutError } from '../helpers/errors.js';

/** Rejects with `message` when `promise` has not settled within `ms`: a bound, not a sleep. */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `hub`, as the dashboard sees it, with its subscriptions counted: `open()` is how many
 * subscriptions to its signals, statistics and escalations are live. Pipelines publish on
 * the original hub.
 */
export function countingHub(hub: RecoveryHub) {
  let open = 0;
  const count = <T>(source: Observable<T>) =>
    new RxObservable<T>((subscriber) => {
      open += 1;
      const subscription: Subscription = source.subscribe(subscriber);
      return () => {
        open -= 1;
        subscription.unsubscribe();
      };
    });
  const counted: RecoveryHub = Object.freeze({
    ...hub,
    signals: count(hub.signals),
    metrics: count(hub.metrics),
    statistics$: count(hub.statistics$),
    escalations$: count(hub.escalations$),
  });
  return { hub: counted, open: () => open };
}

/** One recovery that succeeds: a timeout, retried at once, then a value. */
export function recoverOnce(hub: RecoveryHub, nodeName = 'generate_code'): Promise<string> {
  let calls = 0;
  return lastValueFrom(
    defer(() => (calls++ === 0 ? throwError(() => timeoutError) : of('generated'))).pipe(
      withRecovery<string>(undefined, { hub, retry: { baseDelayMs: 0 }, context: { nodeName } }),
    ),
  );
}

/**
 * A review whose quorum keeps failing: two retries, then it escalates and waits for a
 * person. Resolves with what the stream emits once somebody resolves it.
 */
export function reviewThatWaits(hub: RecoveryHub): { values: string[]; done: Promise<void> } {
  const values: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    defer(() => throwError(() => quorumError))
      .pipe(
        withRecovery<string>(undefined, {
          hub,
          retry: { baseDelayMs: 0 },
          context: { workflowId: 'codegen-1', nodeName: 'quorum_review' },
          escalation: { await: true },
        }),
      )
      .subscribe({ next: (value) => values.push(value), error: reject, complete: resolve });
  });
  // An abort rejects while the test is still reading the HTTP answer: mark it handled;
  // a test that awaits `done` still sees the rejection.
  done.catch(() => undefined);
  return { values, done };
}

/** Resolves when `hub` has `count` escalations waiting (within 10 s). */
export function waitingEscalations(hub: RecoveryHub, count: number) {
  let subscription: Subscription | undefined;
  const waiting = new Promise<readonly { id: string }[]>((resolve) => {
    subscription = hub.escalations$.subscribe((records) => {
      if (records.length >= count) resolve(records);
    });
  });
  return within(waiting, 10_000, `${count} escalation(s) waiting`).finally(() =>
    subscription?.unsubscribe(),
  );
}

/** An open event stream: every update it received, and a way to wait for one. */
export interface EventStream {
  readonly updates: DashboardUpdate[];
  readonly response: IncomingMessage;
  /** The first update (already received or to come) that satisfies `test`. */
  next(
    test: (update: DashboardUpdate) => boolean,
    label: string,
    ms?: number,
  ): Promise<DashboardUpdate>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens `GET /events` with node:http and parses its frames. */
export function openStream(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /events answered ${response.statusCode}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      const updates: DashboardUpdate[] = [];
      const waiters = new Set<{
        test: (u: DashboardUpdate) => boolean;
        done: (u: DashboardUpdate) => void;
      }>();
      let buffer = '';
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const update = JSON.parse(data.slice(6)) as DashboardUpdate;
          updates.push(update);
          for (const waiter of waiters) {
            if (waiter.test(update)) {
              waiters.delete(waiter);
              waiter.done(update);
            }
          }
        }
      });
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
      });
      resolve({
        updates,
        response,
        ended,
        next(test, label, ms = 5000) {
          const seen = updates.find(test);
          if (seen !== undefined) return Promise.resolve(seen);
          return within(
            new Promise<DashboardUpdate>((done) => waiters.add({ test, done })),
            ms,
            label,
          );
        },
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

/** The address of `path` on the dashboard at `url`, without the token. */
export const at = (url: string, path: string) => new URL(path, url).href.replace(/\?.*$/, '');
