import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { interval, type SchedulerLike, Subscription, timer } from 'rxjs';
import { publishTo, type RecoveryHub } from '../observability/hub.js';
import {
  type RecoverySignal,
  storeDegradedSignal,
  storeRecoveredSignal,
} from '../observability/signals.js';
import type { Script } from './scripts.js';

/** What a request resolves with when Redis failed, did not answer in time, or the store closed. */
export const FAILED: unique symbol = Symbol('rx-recovery.redis.failed');

/**
 * What a read of the fleet view got: Redis's reply, or why there is none (a reply error, a
 * timeout, a closed connection, the store closed).
 */
export type ReadResult =
  | { readonly ok: true; readonly reply: unknown }
  | { readonly ok: false; readonly error: unknown };

/** A message on the store's channel, as the scripts publish them (JSON). */
export interface Message {
  /** `b`: a breaker's transition; `e`: an escalation listed, withdrawn or resolved. */
  readonly k?: unknown | undefined;
  readonly n?: unknown | undefined;
  readonly r?: unknown | undefined;
  readonly o?: unknown | undefined;
  readonly id?: unknown | undefined;
  readonly s?: unknown | undefined;
  /** The escalations' counter of changes after this one. */
  readonly q?: unknown | undefined;
}

/** One object the store keeps in step with Redis: a breaker, a budget, a hub's escalations. */
export interface Member {
  /** Where the object publishes: the store's signals go there too. */
  readonly hub: object | undefined;
  /** Every `flushMs`: sends what changed, when the store is healthy and nothing is in flight. */
  flush(): void;
  /**
   * Every `syncMs`, and to resynchronise after an outage (`recover`): one exchange.
   * Resolves whether Redis answered; never rejects.
   */
  sync(recover: boolean): Promise<boolean>;
  message(message: Message): void;
  /** The store closes: a last exchange (each bounded by `timeoutMs`); never rejects. */
  close(): Promise<unknown>;
}

/** The settings of a store, checked, with defaults. */
export interface CoreSettings {
  readonly client: Redis | Cluster;
  readonly prefix: string;
  readonly syncMs: number;
  readonly flushMs: number;
  readonly timeoutMs: number;
  readonly scheduler: SchedulerLike;
  readonly hub: RecoveryHub | undefined;
}

type Client = {
  readonly status: string;
  evalsha(sha: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(source: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
};

type Subscriber = {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  subscribe(channel: string): Promise<unknown>;
  disconnect(): void;
};

const UNAVAILABLE = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/**
 * The client's ioredis `keyPrefix` ('' without one): ioredis puts it before the KEYS of
 * every command, and before nothing else — not a SCAN pattern, not the keys SCAN answers,
 * not a channel — so the store puts it there itself.
 */
function keyPrefixOf(client: Redis | Cluster): string {
  const { keyPrefix } = (client as { options?: { keyPrefix?: unknown } }).options ?? {};
  return typeof keyPrefix === 'string' ? keyPrefix : '';
}
const ignore = () => {};

/**
 * The store's connection to Redis: requests bounded by `timeoutMs`, the channel, the
 * flush and sync timers, and the health every object reads. Nothing here throws into a
 * caller or leaves a promise rejected: a failure resolves {@link FAILED} and degrades the
 * store, once, with a `store_degraded` signal (not a failed {@link StoreCore.read}: the
 * fleet view's); a later sync round that every object passes (each resynchronising its
 * state) recovers it, with `store_recovered`.
 */
export class StoreCore {
  /** Whether objects use Redis: false from a failed or late request until a resync succeeds, and after `close()`. */
  get healthy(): boolean {
    return this.answering && !this.closed;
  }
  /** This store's id: tells its isolations apart from other processes'. */
  readonly id = randomUUID();
  /** `<keyPrefix><prefix>:events`: the store's channel, apart for every `keyPrefix`. */
  readonly channel: string;
  readonly prefix: string;
  /** The client's ioredis `keyPrefix`, '' without one. */
  readonly keyPrefix: string;
  readonly syncMs: number;
  readonly scheduler: SchedulerLike;
  /** The client the store was made with (the user's). */
  readonly redis: Redis | Cluster;
  closed = false;
  /** What the last failed request reported (a reply error, a timeout, a closed connection). */
  lastError: unknown;

  private answering = true;
  private readonly client: Client;
  private readonly members = new Set<Member>();
  private readonly timers = new Subscription();
  /** Requests still waiting: `close()` ends them as failed. */
  private readonly waiting = new Set<() => void>();
  private round: Promise<boolean> | undefined;
  private ending: Promise<void> | undefined;
  /** Requests sent and not settled by the client yet (given up on or not). */
  private outstanding = 0;
  private readonly subscriber: Subscriber;
  private readonly onMessage = (_channel: string, text: string) => {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    for (const member of this.members) member.message(message);
  };

  private readonly listen = () => {
    this.subscriber.subscribe(this.channel).catch(ignore);
  };

  constructor(private readonly settings: CoreSettings) {
    this.prefix = settings.prefix;
    this.keyPrefix = keyPrefixOf(settings.client);
    this.channel = `${this.keyPrefix}${settings.prefix}:events`;
    this.syncMs = settings.syncMs;
    this.scheduler = settings.scheduler;
    this.redis = settings.client;
    this.client = settings.client as unknown as Client;
    this.subscriber = settings.client.duplicate() as unknown as Subscriber;
    this.subscriber.on('error', ignore);
    this.subscriber.on('message', this.onMessage);
    // Again on every (re)connection: harmless when ioredis resubscribed already, and needed
    // when the first SUBSCRIBE was refused (a client without an offline queue, not yet up).
    this.subscriber.on('ready', this.listen);
    this.listen();
    const { scheduler } = settings;
    this.timers.add(
      interval(settings.flushMs, scheduler).subscribe(() => {
        if (!this.healthy) return;
        for (const member of this.members) member.flush();
      }),
    );
    this.timers.add(
      interval(settings.syncMs, scheduler).subscribe(() => {
        if (this.round === undefined) void this.sync();
      }),
    );
  }

  /** Starts mirroring `member`, with a first exchange at once. */
  add(member: Member): void {
    if (this.closed) return;
    this.members.add(member);
    if (this.healthy) void member.sync(false);
  }

  remove(member: Member): void {
    this.members.delete(member);
  }

  /**
   * Runs `script` (EVALSHA, then EVAL when Redis does not know it, e.g. after a restart).
   * @param late Called with a reply that came after the request was given up.
   * @returns The reply, or {@link FAILED}.
   */
  run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
    late?: (reply: unknown) => void,
  ): Promise<unknown> {
    const { client } = this;
    return this.request(() => {
      const all = [...keys, ...args];
      return client.evalsha(script.sha, keys.length, ...all).catch((error: unknown) => {
        if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error;
        return client.eval(script.source, keys.length, ...all);
      });
    }, late);
  }

  /**
   * Sends one read of a reader that is no object of the store (the fleet view's SCAN and
   * HGETALL), bounded by `timeoutMs` like every request. Its failure is the reader's
   * alone: it never degrades the store, publishes nothing and leaves `lastError` alone, so
   * a view that may not SCAN, or reads slowly, changes nothing for the store's objects.
   * `send` is given the client the store was made with.
   * @returns The reply, or why there is none. Never rejects.
   */
  read(send: (client: Redis | Cluster) => Promise<unknown>): Promise<ReadResult> {
    // Set when it failed; still unset when the store closed first.
    let failure: ReadResult | undefined;
    const failed = (error: unknown) => {
      failure = { ok: false, error };
    };
    return this.exchange(() => send(this.redis), failed).then(
      (reply): ReadResult =>
        reply !== FAILED
          ? { ok: true, reply }
          : (failure ?? { ok: false, error: new Error('the store is closed') }),
    );
  }

  /**
   * One exchange with every object (the `syncMs` refresh). When the store is degraded,
   * each object resynchronises instead, and the store recovers when all of them (and a
   * PING) succeed.
   * @returns Whether Redis answered every exchange.
   */
  sync(): Promise<boolean> {
    const after = this.round ?? Promise.resolve(true);
    const round = after.then(() => this.syncRound());
    this.round = round;
    void round.then(() => {
      if (this.round === round) this.round = undefined;
    });
    return round;
  }

  /** Ends every timer, request and subscription; a last exchange first, when healthy. */
  close(): Promise<void> {
    this.ending ??= this.end();
    return this.ending;
  }

  private async end(): Promise<void> {
    this.timers.unsubscribe();
    if (this.healthy) await Promise.all([...this.members].map((member) => member.close()));
    this.closed = true;
    for (const end of [...this.waiting]) end();
    this.members.clear();
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.listen);
    this.subscriber.disconnect();
  }

  /** Publishes `signal` on the store's hub and on every hub an object reports to. */
  publish(signal: RecoverySignal): void {
    const hubs = new Set<object | undefined>([this.settings.hub]);
    for (const member of this.members) hubs.add(member.hub);
    for (const hub of hubs) if (hub !== undefined) publishTo(hub as RecoveryHub, signal);
  }

  private readonly degrade = (error: unknown) => this.fail(error);

  private fail(error: unknown): void {
    this.lastError = error;
    if (!this.healthy) return;
    this.answering = false;
    this.publish(storeDegradedSignal(this.scheduler.now(), this.prefix, error));
  }

  private async syncRound(): Promise<boolean> {
    if (this.closed) return false;
    const recover = !this.answering;
    // Degraded, with requests still unanswered (a paused server): wait for them to settle
    // rather than pile more onto the connection.
    if (recover && this.outstanding > 0) return false;
    const exchanges = [...this.members].map((member) => member.sync(recover));
    if (recover) {
      const client = this.client as unknown as { ping(): Promise<unknown> };
      exchanges.push(this.request(() => client.ping()).then((reply) => reply !== FAILED));
    }
    const answered = (await Promise.all(exchanges)).every(Boolean);
    if (answered && recover && !this.closed && !this.answering) {
      this.answering = true;
      this.publish(storeRecoveredSignal(this.scheduler.now(), this.prefix));
    }
    return answered;
  }

  /** A request of the store's objects: its failure degrades the store. */
  private request(send: () => Promise<unknown>, late?: (reply: unknown) => void): Promise<unknown> {
    return this.exchange(send, this.degrade, late);
  }

  /**
   * Sends one request, bounded by `timeoutMs`, ended as failed by `close()`.
   * @param failed Called once with what went wrong when it fails (not when the store closed).
   * @returns The reply, or {@link FAILED}.
   */
  private exchange(
    send: () => Promise<unknown>,
    failed: (error: unknown) => void,
    late?: (reply: unknown) => void,
  ): Promise<unknown> {
    if (this.closed) return Promise.resolve(FAILED);
    const { status } = this.client;
    if (UNAVAILABLE.has(status)) {
      // Queued in the client's offline queue, a request would run late, on stale time.
      failed(new Error(`Redis connection is ${status}`));
      return Promise.resolve(FAILED);
    }
    const { timeoutMs } = this.settings;
    return new Promise((resolve) => {
      let done = false;
      let deadline: Subscription | undefined;
      const finish = (reply: unknown): boolean => {
        if (done) return false;
        done = true;
        deadline?.unsubscribe();
        this.waiting.delete(end);
        resolve(reply);
        return true;
      };
      const end = () => finish(FAILED);
      this.waiting.add(end);
      deadline = timer(timeoutMs, this.scheduler).subscribe(() => {
        if (finish(FAILED)) failed(new Error(`Redis did not answer within ${timeoutMs} ms`));
      });
      if (done) deadline.unsubscribe();
      let sent: Promise<unknown>;
      try {
        sent = send();
      } catch (error) {
        sent = Promise.reject(error);
      }
      this.outstanding++;
      sent.then(
        (reply) => {
          this.outstanding--;
          if (finish(reply) || late === undefined || this.closed) return;
          try {
            late(reply);
          } catch {
            // a late reply only gives back what it had taken; nothing to report
          }
        },
        (error: unknown) => {
          this.outstanding--;
          if (finish(FAILED)) failed(error);
        },
      );
    });
  }
}
