import {
  type MonoTypeOperatorFunction,
  Observable,
  type Observer,
  type Subscriber,
  type Unsubscribable,
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
        return undefined;
      }
      const call = new Call(subscriber, protocol, permit, classify);
      call.inner = source.subscribe(call);
      return call; // the call is the teardown: a closed call allocates nothing more
    };
    return new Observable<T>((subscriber) => {
      const permit = protocol.admit();
      if (typeof permit === 'number' || !('subscribe' in permit)) return start(subscriber, permit);
      let call: Call<T> | undefined;
      const wait = permit.subscribe({
        next: (later) => {
          call = start(subscriber, later);
        },
      });
      return () => {
        wait.unsubscribe();
        call?.unsubscribe();
      };
    });
  };
}

/**
 * One call through the breaker: the observer of the source and the teardown of the
 * subscription at once, so that a call costs one object and reads no clock unless the
 * breaker needs the time (`slowCall`).
 */
class Call<T> implements Observer<T>, Unsubscribable {
  /** The source's subscription. */
  inner: Unsubscribable | undefined;
  /** The outcome has been reported (or the permit given back). */
  private settled = false;
  /** When the call started (`protocol.now()`), when the breaker times its calls; else 0. */
  private readonly startedAt: number;

  /**
   * @param destination The subscriber downstream.
   * @param protocol The breaker's protocol.
   * @param permit The call's permit.
   * @param classify How an error is classified.
   */
  constructor(
    private readonly destination: Subscriber<T>,
    private readonly protocol: BreakerProtocol,
    private readonly permit: number,
    private readonly classify: (error: unknown) => Classification,
  ) {
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
    this.ok();
    this.destination.next(value);
  }

  error(error: unknown): void {
    if (!this.settled) {
      this.settled = true;
      this.protocol.fail(this.permit, error, this.classify(error));
    }
    this.destination.error(error);
  }

  complete(): void {
    this.ok();
    this.destination.complete();
  }

  /** Unsubscribed: a call with no outcome yet gives its permit back. */
  unsubscribe(): void {
    if (!this.settled) {
      this.settled = true;
      this.protocol.release(this.permit);
    }
    this.inner?.unsubscribe();
  }
}
