import {
  type MonoTypeOperatorFunction,
  Observable,
  type Observer,
  type Subscriber,
  Subscription,
} from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { BrokenCircuitError } from './BrokenCircuitError.js';
import type { BreakerProtocol } from './protocols.js';

/**
 * Every subscription of the source as a call through a breaker: admitted or refused (the
 * source is then never subscribed), and its outcome reported before it is passed on.
 * `classify` tells the breaker what an error is: the default table for the
 * `circuitBreaker` operator, the engine's own classifier inside `withRecovery`.
 *
 * The code of a call lives with the breaker ({@link guard}, reached through the protocol's
 * `through`), so that a program that never creates a breaker does not carry it.
 */
export function throughBreaker<T>(
  protocol: BreakerProtocol,
  classify: (error: unknown) => Classification,
): MonoTypeOperatorFunction<T> {
  return (protocol.through as NonNullable<BreakerProtocol['through']>)<T>(classify);
}

/**
 * What `throughBreaker` does, for the protocol of a breaker `createCircuitBreaker` makes.
 * A permit that comes later (a half-open trial of a breaker shared through a store) is
 * waited for; unsubscribing meanwhile stops the wait.
 */
export function guard<T>(
  protocol: BreakerProtocol,
  classify: (error: unknown) => Classification,
): MonoTypeOperatorFunction<T> {
  return (source) => {
    /** Starts the call with `permit` (the source is subscribed), or fails with the refusal. */
    const start = (subscriber: Subscriber<T>, permit: number | BrokenCircuitError) => {
      if (typeof permit !== 'number') {
        subscriber.error(permit);
        return;
      }
      const call = new Call(subscriber, protocol, permit, classify);
      // Chained before the source is subscribed: a downstream that unsubscribes meanwhile
      // (`take(1)` after a synchronous source) stops the source at once, and the call gives
      // its permit back. A downstream closed already leaves the source unsubscribed.
      subscriber.add(call);
      if (!call.closed) source.subscribe(call);
    };
    return new Observable<T>((subscriber) => {
      const permit = protocol.admit();
      if (typeof permit === 'number' || !('subscribe' in permit)) {
        start(subscriber, permit);
        return undefined;
      }
      // The call, once started, is chained to `subscriber` itself: only the wait is torn down here.
      return permit.subscribe({ next: (later) => start(subscriber, later) });
    });
  };
}

/**
 * One call through the breaker: a `Subscription` with `next`/`error`/`complete`, which
 * RxJS uses as the source's subscriber itself (no wrapper), chained to the downstream
 * subscriber. So a call costs one object, unsubscribing downstream stops even a
 * synchronous source at once, and it reads no clock unless the breaker needs the time
 * (`slowCall`). Closed, it ignores whatever the source still sends.
 */
class Call<T> extends Subscription implements Observer<T> {
  /** The outcome has been reported (or the permit given back). */
  declare private settled: boolean;
  /** When the call started (`protocol.now()`), when the breaker times its calls; else 0. */
  declare private readonly startedAt: number;
  declare private readonly destination: Subscriber<T>;
  declare private readonly protocol: BreakerProtocol;
  declare private readonly permit: number;
  declare private readonly classify: (error: unknown) => Classification;

  /**
   * @param destination The subscriber downstream.
   * @param protocol The breaker's protocol.
   * @param permit The call's permit.
   * @param classify How an error is classified.
   */
  constructor(
    destination: Subscriber<T>,
    protocol: BreakerProtocol,
    permit: number,
    classify: (error: unknown) => Classification,
  ) {
    super();
    this.settled = false;
    this.destination = destination;
    this.protocol = protocol;
    this.permit = permit;
    this.classify = classify;
    this.startedAt = protocol.timesCalls ? protocol.now() : 0;
  }

  /** The call succeeded (its first value or completion), unless it has settled already. */
  private ok(): void {
    if (!this.settled) {
      this.settled = true;
      this.protocol.succeed(this.permit, this.startedAt);
    }
  }

  next(value: T): void {
    if (this.closed) return;
    this.ok();
    this.destination.next(value);
  }

  // The outcome is recorded before the event goes on (a retry downstream sees the breaker's
  // new state); then the call is closed, as an RxJS subscriber is: the downstream has
  // closed it already when it unsubscribes on the event, as RxJS's subscribers do.
  error(error: unknown): void {
    if (this.closed) return;
    if (!this.settled) {
      this.settled = true;
      this.protocol.fail(this.permit, error, this.classify(error));
    }
    this.destination.error(error);
    this.unsubscribe();
  }

  complete(): void {
    if (this.closed) return;
    this.ok();
    this.destination.complete();
    this.unsubscribe();
  }

  /** Unsubscribed: a call with no outcome yet gives its permit back; the source is unsubscribed. */
  override unsubscribe(): void {
    if (!this.settled) {
      this.settled = true;
      this.protocol.release(this.permit);
    }
    super.unsubscribe();
  }
}
