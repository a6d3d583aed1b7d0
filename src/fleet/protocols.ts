import type { MonoTypeOperatorFunction, Subscribable } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { BrokenCircuitError } from './BrokenCircuitError.js';
import { safely } from './safely.js';

/**
 * How the library calls through a breaker (the `circuitBreaker` operator and the engine).
 * It is kept under a registered symbol, so a breaker made by another copy of the package
 * (ESM beside CJS) works, and off the public type, so no user can forge an outcome.
 *
 * A call is `admit()`, then exactly one of `succeed`, `fail` or `release` with the permit:
 * - `succeed(permit, startedAt)` on its first value or on completion (whichever comes
 *   first; later values say nothing). `startedAt` is `now()` read right after `admit()`
 *   when `timesCalls` is true; any number otherwise.
 * - `fail(permit, error, classification)` when it errors before any value; the breaker
 *   asks `countsAsFailure(error, classification)`.
 * - `release(permit)` when it is unsubscribed before either.
 * Record the outcome before passing the value or error on, so that a retry downstream
 * sees the breaker's new state.
 */
export interface BreakerProtocol {
  /** The protocol's version: 1. */
  readonly version: 1;
  /** The breaker's name. */
  readonly name: string;
  /** Whether `succeed` needs a real `startedAt` (the breaker has `slowCall`). */
  readonly timesCalls: boolean;
  /** The breaker's clock. */
  now(): number;
  /**
   * Asks to start a call.
   * @returns A permit (a number ≥ 0), or the `BrokenCircuitError` to fail the call with;
   * then the source must not be subscribed. A breaker shared through a store answers a
   * half-open call later (the permit is decided in the store): a `Subscribable` that emits
   * one permit or error, once; unsubscribing it gives back a permit it had not yet
   * delivered. The closed state always answers at once.
   */
  admit(): number | BrokenCircuitError | Subscribable<number | BrokenCircuitError>;
  succeed(permit: number, startedAt: number): void;
  fail(permit: number, error: unknown, classification: Classification): void;
  release(permit: number): void;
  /**
   * Every subscription of a source as a call through this protocol (what `throughBreaker`
   * returns). The protocol of every breaker `createCircuitBreaker` makes has it: the code
   * of a call lives with the breaker, so a program that makes none does not carry it. A
   * store's protocol (`SharedBreaker.protocol`) need not have it: the breaker adds it.
   */
  through?<T>(classify: (error: unknown) => Classification): MonoTypeOperatorFunction<T>;
}

/**
 * How the library uses a budget (the engine and `hedge`), kept under a registered symbol
 * and off the public type, like the breaker's protocol.
 * - `deposit()`: one request (a first subscription; never a retry).
 * - `tryWithdraw()`: asks to pay for one retry, correct step or hedge; `true` when paid
 *   (the withdrawal is recorded), `false` when the budget cannot pay (nothing recorded):
 *   the step is skipped.
 */
export interface BudgetProtocol {
  /** The protocol's version: 1. */
  readonly version: 1;
  /** The budget's name. */
  readonly name: string;
  deposit(): void;
  tryWithdraw(): boolean;
}

/**
 * The protocol (version 1) kept under the registered symbol `key` on `value`, or
 * `undefined`: how a breaker or budget of any copy of the package is recognised. Never
 * throws (a revoked proxy, a throwing getter: not ours).
 */
export function protocolUnder<P extends { readonly version: 1 }>(
  value: unknown,
  key: symbol,
): P | undefined {
  const protocol = safely(value, key) as P | undefined;
  return safely(protocol, 'version') === 1 ? protocol : undefined;
}

/**
 * `object`, frozen, with `protocol` (frozen too) under the registered symbol `key`, not
 * enumerable: a copy of the object is not a breaker or a budget.
 */
export function withProtocol<O extends object>(object: O, key: symbol, protocol: object): O {
  return Object.freeze(Object.defineProperty(object, key, { value: Object.freeze(protocol) }));
}
