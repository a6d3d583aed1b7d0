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
      call.i = source.subscribe(call);
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
 * breaker needs the time (`slowCall`). Its fields have short names: it is made per call.
 */
class Call<T> implements Observer<T>, Unsubscribable {
  /** The source's subscription. */
  i: Unsubscribable | undefined;
  /** Settled: the outcome has been reported (or the permit given back). */
  private s = false;
  /** When the call started (`protocol.now()`), when the breaker times its calls; else 0. */
  private readonly t: number;

  /**
   * @param d The destination.
   * @param p The breaker's protocol.
   * @param n The call's permit.
   * @param c How an error is classified.
   */
  constructor(
    private readonly d: Subscriber<T>,
    private readonly p: BreakerProtocol,
    private readonly n: number,
    private readonly c: (error: unknown) => Classification,
  ) {
    this.t = p.timesCalls ? p.now() : 0;
  }

  /** The call succeeded (its first value or completion), unless it has settled already. */
  private ok(): void {
    if (!this.s) {
      this.s = true;
      this.p.succeed(this.n, this.t);
    }
  }

  next(value: T): void {
    this.ok();
    this.d.next(value);
  }

  error(error: unknown): void {
    if (!this.s) {
      this.s = true;
      this.p.fail(this.n, error, this.c(error));
    }
    this.d.error(error);
  }

  complete(): void {
    this.ok();
    this.d.complete();
  }

  /** Unsubscribed: a call with no outcome yet gives its permit back. */
  unsubscribe(): void {
    if (!this.s) {
      this.s = true;
      this.p.release(this.n);
    }
    this.i?.unsubscribe();
  }
}
