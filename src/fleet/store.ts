import { type Rule, satisfies } from '../config/check.js';
import type { Classification } from '../patterns/classifier.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import type { Resolution } from '../strategies/resolution.js';
import type { BreakerMachine } from './breakerState.js';
import { type BreakerProtocol, type BudgetProtocol, protocolUnder } from './protocols.js';

/**
 * State shared by many processes: pass one as `store` to `createCircuitBreaker`,
 * `createRetryBudget` and `createRecoveryHub`, and their state lives in it. Make one with
 * `createRedisStore` from `rx-recovery/redis`. Without a store (the default) every object
 * keeps its state in this process.
 *
 * Each object still decides from its own state, which the store keeps in step with the
 * shared one: no call waits for the store, except a half-open trial asking for its permit.
 */
export interface SharedStore {
  /** Ends every timer, subscription and connection the store made; objects go on with their local state. */
  close(): Promise<void>;
}

/**
 * What a store does for the objects given it, kept under a registered symbol (like the
 * breaker's protocol) so that the main entry never loads the store's client. Each method
 * is called once, when the object is created with `store`.
 */
export interface StoreProtocol {
  /** The protocol's version: 1. */
  readonly version: 1;
  breaker(link: BreakerLink): SharedBreaker;
  budget(link: BudgetLink): SharedBudget;
  escalations(link: EscalationLink): SharedEscalations;
}

/**
 * What a breaker gives its store. `name` is the breaker's key in the store; the store
 * throws a `RecoveryConfigError` (`options.name: required with a store`) without one.
 */
export interface BreakerLink {
  readonly name: string | undefined;
  /** The breaker's state machine: the local mirror the store keeps in step, and the fallback. */
  readonly machine: BreakerMachine;
  /** The breaker's own call protocol: its clock, and its decisions while the store is degraded. */
  readonly local: BreakerProtocol;
  readonly countsAsFailure: (error: unknown, classification: Classification) => boolean;
  /** Publishes the transitions the machine holds (signals, `state$`). */
  announce(): void;
  /** The breaker's hub, where the store's signals go too. */
  readonly hub: object | undefined;
}

/** What a store gives a breaker back. */
export interface SharedBreaker {
  /** The protocol to call through, in place of `local`. */
  readonly protocol: BreakerProtocol;
  /**
   * Told of a manual action before it is applied to the machine (`epoch`: the isolation
   * handle's, for `release`).
   */
  manual(action: 'isolate' | 'release' | 'reset', epoch?: number): void;
  /** The breaker is disposed: stop mirroring it. */
  dispose(): void;
}

/** The counts of a retry budget, as its `snapshot()` gives them. */
export interface BudgetCounts {
  readonly deposits: number;
  readonly withdrawals: number;
  readonly balance: number;
}

/** What a retry budget gives its store; `name` as for {@link BreakerLink}. */
export interface BudgetLink {
  readonly name: string | undefined;
  /** The budget's own protocol: its decisions while the store is degraded. */
  readonly local: BudgetProtocol;
  /** The budget's accounts (its options, checked, with defaults). */
  readonly ledger: {
    readonly ratio: number;
    readonly reserve: number;
    readonly ttlMs: number;
    tryWithdraw(now: number): boolean;
  };
  /** The budget's own counts. */
  snapshot(): BudgetCounts;
  now(): number;
}

/** What a store gives a retry budget back. */
export interface SharedBudget {
  readonly protocol: BudgetProtocol;
  snapshot(): BudgetCounts;
}

/** What a hub gives its store. */
export interface EscalationLink {
  readonly hub: object;
  /** Resumes the stream of this process that waits under `id`; `false` when none does (any more). */
  settle(id: string, resolution: Resolution<unknown>): boolean;
  /** The store's list of waiting escalations changed. */
  changed(): void;
}

/** What a store gives a hub back: the escalations that wait, in every process. */
export interface SharedEscalations {
  /** An escalation of this process starts waiting. */
  add(record: EscalationRecord): void;
  /** It stopped waiting (resolved, timed out or unsubscribed). */
  remove(id: string): void;
  /** Every waiting escalation, oldest first: this process's and the others'. */
  list(): readonly EscalationRecord[];
  /**
   * Resolves the escalation under `id`, wherever it waits; the first valid resolution wins.
   * @throws RecoveryConfigError for a resolution that cannot reach another process.
   */
  resolve(id: string, resolution: Resolution<unknown>): Promise<boolean>;
}

/** Where a store keeps its {@link StoreProtocol}: a registered symbol, so any copy of the package finds it. */
export const STORE_PROTOCOL: unique symbol = Symbol.for('rx-recovery.store') as never;

/** The protocol of `value`, when it is a store (of any copy of the package). Never throws. */
export function storeOf(value: unknown): StoreProtocol | undefined {
  return protocolUnder<StoreProtocol>(value, STORE_PROTOCOL);
}

/** A `store` option. */
export const storeRule: Rule = /* @__PURE__ */ satisfies(
  (value) => storeOf(value) !== undefined,
  'must be a shared store (createRedisStore from rx-recovery/redis)',
);
