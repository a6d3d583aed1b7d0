import { asyncScheduler, BehaviorSubject, type Observable, type SchedulerLike } from 'rxjs';
import {
  check,
  describeValue,
  fn,
  isObject,
  number,
  type Rule,
  satisfies,
  scheduler as schedulerRule,
  shape,
} from '../config/check.js';
import { guarded } from '../observability/guarded.js';
import { publishTo, type RecoveryHub } from '../observability/hub.js';
import {
  type CircuitState,
  circuitStateChangedSignal,
  observerErrorSignal,
} from '../observability/signals.js';
import type { Classification } from '../patterns/classifier.js';
import { BrokenCircuitError, type RefusingCircuitState } from './BrokenCircuitError.js';
import { type AnyTrip, breakerMachine, CLOSED, REFUSED, type TripRule } from './breakerState.js';
import { type BreakerProtocol, protocolUnder, withProtocol } from './protocols.js';
import { fraction, hubRule, nameRule, nonNegative } from './rules.js';
import { safely } from './safely.js';
import { type SharedStore, storeOf, storeRule } from './store.js';
import { guard } from './throughBreaker.js';
import { MAX_WINDOW_CALLS } from './windows.js';

export type { BreakerProtocol } from './protocols.js';

/**
 * Options of {@link createCircuitBreaker}. Strict: an unknown key is a
 * `RecoveryConfigError`, and so is every invalid value, all named at once.
 *
 * @example
 * ```ts
 * import { createCircuitBreaker, type CircuitBreakerOptions } from 'rx-recovery';
 *
 * const options: CircuitBreakerOptions = {
 *   name: 'model-api',
 *   trip: { rate: 0.5, minimumCalls: 20, window: { ms: 60_000 } }, // half of the last minute's calls failed
 *   slowCall: { ms: 10_000, rate: 0.8 },                           // or 80 % answered after 10 s
 *   openMs: (opens) => Math.min(30_000 * 2 ** (opens - 1), 300_000), // 30 s, 60 s, 120 s … 5 min
 *   halfOpenCalls: 2,
 * };
 * const breaker = createCircuitBreaker(options);
 * ```
 */
export interface CircuitBreakerOptions {
  /**
   * The breaker's name: in `circuit_state_changed` signals and in `BrokenCircuitError`s;
   * with a `store`, its key there (required then: the processes that share a breaker
   * name it alike).
   * @default `breaker-<n>`, numbered in creation order
   */
  name?: string | undefined;
  /**
   * When the breaker opens: after `consecutive` counted failures in a row, or when, over
   * the `window` (the last `calls` calls, or the last `ms` of scheduler time), at least
   * `minimumCalls` calls finished and the failure rate is ≥ `rate` (a fraction in (0, 1]).
   * A time window is kept in 10 buckets of `ms / 10`: a call leaves it between 0.9·`ms`
   * and `ms` after it finished.
   *
   * Bounds: `consecutive` is a whole number up to `Number.MAX_SAFE_INTEGER` (failures in a
   * row are counted in a number, so any size costs nothing; not `Infinity`: a breaker that
   * only `isolate()` opens takes `Number.MAX_SAFE_INTEGER`). `window.calls` is at most
   * 100 000 (the window keeps one byte per call); `window.ms` is at least 1. With
   * `consecutive`, `snapshot()`'s counts (and `slowCall`'s rate) are over the last
   * `consecutive` calls, at most the last 100 000.
   */
  trip: TripRule;
  /**
   * A call whose first value (or completion) comes more than `ms` after it was
   * subscribed is slow. The breaker also opens when the slow rate over the window is
   * ≥ `rate` (with `trip: { consecutive: n }`, over the last `n` calls — at most 100 000 —
   * once there are that many). A slow call is still a success for the failure count; a
   * slow half-open trial opens the breaker again.
   * @default none: no call is slow
   */
  slowCall?:
    | {
        /** A call slower than this (to its first value or completion), in ms, is slow. */
        ms: number;
        /** The slow rate over the window that opens the breaker, in (0, 1]. */
        rate: number;
      }
    | undefined;
  /**
   * How long the breaker stays open before it admits trial calls (`half_open`), in ms;
   * or a function of `opens`, the openings in a row since it last closed (1, 2, 3 …), for
   * a growing wait. `Infinity` keeps it open until `reset()`. A function that throws or
   * returns something other than a number ≥ 0 counts as 30 000.
   * @default 30_000
   */
  openMs?: (number | ((opens: number) => number)) | undefined;
  /**
   * Trial calls admitted at once in `half_open`; the breaker closes when this many have
   * succeeded, and opens again at the first that fails or is slow.
   * @default 1
   */
  halfOpenCalls?: number | undefined;
  /**
   * Whether an error counts as a failure of the dependency. An error that does not count
   * is neither a failure nor a success: it is ignored (a half-open trial gives its permit
   * back). A throw counts as a failure.
   * @default errorType `transient`, `timeout` or `unknown` (`countsAsFailureByDefault`):
   * a syntax error in generated code says nothing about the dependency
   */
  countsAsFailure?: ((error: unknown, classification: Classification) => boolean) | undefined;
  /** Whose clock `openMs` and `slowCall.ms` are measured on. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
  /** Where `circuit_state_changed` signals are published. @default none */
  hub?: RecoveryHub | undefined;
  /**
   * A store shared by many processes (`createRedisStore` from `rx-recovery/redis`): the
   * breakers of every process with the same `name` are one breaker. Each process decides
   * from its own state, kept in step with the store's (see the store); only a half-open
   * trial waits for the store, for its permit. `snapshot()` gives the shared state with
   * this process's counts. `store_degraded` and `store_recovered` signals reach `hub`.
   * @default none: the breaker is this process's
   */
  store?: SharedStore | undefined;
}

/**
 * The breaker's counters at one moment. Frozen.
 *
 * @example
 * ```ts
 * const { state, failures, calls, retryAfterMs } = breaker.snapshot();
 * console.log(`${state}: ${failures}/${calls} failed; retry in ${retryAfterMs} ms`);
 * // Output: open: 12/20 failed; retry in 27500 ms
 * ```
 */
export interface CircuitBreakerSnapshot {
  /** The breaker's `name`. */
  readonly name: string;
  /** The state now (an `open` breaker whose wait is over reads `half_open`). */
  readonly state: CircuitState;
  /** Counts transitions and resets: a call admitted in an earlier generation has no say. */
  readonly generation: number;
  /** Openings in a row since the breaker last closed. */
  readonly opens: number;
  /** Calls in the window that finished with an outcome (`failures + successes`). */
  readonly calls: number;
  /** Calls in the window that failed with an error that counts. */
  readonly failures: number;
  /** Calls in the window that emitted or completed, slow ones included. */
  readonly successes: number;
  /** Calls in the window that succeeded late (see `slowCall`). */
  readonly slow: number;
  /** Counted failures in a row. */
  readonly consecutiveFailures: number;
  /** Half-open trial calls running now. */
  readonly trialCalls: number;
  /** Half-open trial calls that succeeded since the breaker became half-open. */
  readonly trialSuccesses: number;
  /** Isolation handles not yet released. */
  readonly isolations: number;
  /**
   * What a call refused now would be told: the rest of the open period when `open`,
   * `Infinity` when `isolated`, otherwise 0.
   */
  readonly retryAfterMs: number;
}

/**
 * Holds a breaker open until released. Releasing twice does nothing; the breaker closes
 * when every handle is released (or on `reset()`, after which handles release nothing).
 */
export interface IsolationHandle {
  /** Ends this isolation; the breaker closes when every handle is released. Idempotent. */
  release(): void;
}

/**
 * A circuit breaker: state that many subscriptions share on purpose. Make one with
 * {@link createCircuitBreaker}, then guard a source with `circuitBreaker(breaker)` or
 * `withRecovery({ breaker })`.
 *
 * @example
 * ```ts
 * import { type CircuitBreaker, createCircuitBreaker } from 'rx-recovery';
 *
 * const breaker: CircuitBreaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 5 } });
 * breaker.state$.subscribe((state) => dashboard.lamp('model-api', state));
 * const handle = breaker.isolate(); // maintenance window: refuse every call
 * handle.release();
 * ```
 */
export interface CircuitBreaker {
  /** The breaker's name. */
  readonly name: string;
  /**
   * The state now. Reading it applies time: an `open` breaker whose `openMs` has passed
   * becomes `half_open` on this read.
   */
  readonly state: CircuitState;
  /**
   * The state, current value first, then every transition, in order; completes on
   * `dispose()`. An Observable: nobody but the breaker can push to it. The breaker sets no
   * timer: `open → half_open` is announced when it is computed, i.e. when a call arrives
   * or `state`, `snapshot()` or `state$` is read after `openMs`.
   */
  readonly state$: Observable<CircuitState>;
  /** The counters now; reading applies time, as {@link CircuitBreaker.state} does. */
  snapshot(): CircuitBreakerSnapshot;
  /**
   * Closes the breaker, whatever its state (isolation included), and forgets its counts:
   * calls admitted before the reset have no say. With a store, in every process.
   */
  reset(): void;
  /**
   * Completes `state$`. The breaker holds no timer, so nothing else is left behind; calls
   * through it still work, and transitions still reach the hub. With a store, the breaker
   * leaves it and goes on with its local state.
   */
  dispose(): void;
  /**
   * Opens the breaker by hand (`isolated`): every call is refused with
   * `retryAfterMs: Infinity` until every handle returned is released; then it is `closed`.
   * With a store, in every process, until every process's handles are released.
   */
  isolate(): IsolationHandle;
}

const PROTOCOL: unique symbol = Symbol.for('rx-recovery.breaker') as never;

/** The call protocol of `value`, when it is a circuit breaker (of any copy of the package). */
export function breakerProtocolOf(value: unknown): BreakerProtocol | undefined {
  const protocol = protocolUnder<BreakerProtocol>(value, PROTOCOL);
  // A breaker of an older copy, whose protocol carries no call code, is not one we can call
  // through: refused by the option checks, not a TypeError when the pipe is built.
  return typeof safely(protocol, 'through') === 'function' ? protocol : undefined;
}

/**
 * True for a breaker made by {@link createCircuitBreaker}, also by another copy of the
 * package. Never throws.
 *
 * @example
 * ```ts
 * import { createCircuitBreaker, isCircuitBreaker } from 'rx-recovery';
 *
 * isCircuitBreaker(createCircuitBreaker({ trip: { consecutive: 3 } })); // → true
 * isCircuitBreaker({ state: 'closed' }); // → false
 * ```
 * @param value Anything.
 * @returns Whether `value` is a circuit breaker.
 */
export function isCircuitBreaker(value: unknown): value is CircuitBreaker {
  return breakerProtocolOf(value) !== undefined;
}

/** A `breaker` option, for the option checks of the operator and the engine. */
export const breakerRule: Rule = /* @__PURE__ */ satisfies(
  isCircuitBreaker,
  'must be a CircuitBreaker (createCircuitBreaker)',
);

/**
 * The default of `countsAsFailure`: errors of type `transient`, `timeout` or `unknown`
 * count; the others (`syntax`, `import`, `validation`, `template`, `quorum`) are about
 * what was asked or produced, not about the dependency's health.
 *
 * @example
 * ```ts
 * import { countsAsFailureByDefault, createCircuitBreaker } from 'rx-recovery';
 *
 * createCircuitBreaker({
 *   trip: { consecutive: 5 },
 *   countsAsFailure: (error, classification) =>
 *     countsAsFailureByDefault(error, classification) || classification.errorType === 'quorum',
 * });
 * ```
 * @param _error The error (not read).
 * @param classification Its classification.
 * @returns Whether it counts.
 */
export function countsAsFailureByDefault(_error: unknown, classification: Classification): boolean {
  return ['transient', 'timeout', 'unknown'].includes(classification.errorType);
}

/** A whole number ≥ 1. */
const count = /* @__PURE__ */ number({ int: true, min: 1 });

/**
 * `trip.consecutive`: a whole number ≥ 1 that a count can reach (failures in a row are
 * counted in a number, so any size costs nothing); `Infinity` is refused: a breaker that
 * only `isolate()` opens takes `Number.MAX_SAFE_INTEGER`.
 */
const inARow = /* @__PURE__ */ number({ int: true, min: 1, max: Number.MAX_SAFE_INTEGER });

/** `trip.window.calls`: a whole number in [1, {@link MAX_WINDOW_CALLS}] (the window's memory). */
const windowCalls = /* @__PURE__ */ number({ int: true, min: 1, max: MAX_WINDOW_CALLS });

/**
 * `trip.window.ms`: at least 1 ms. A shorter window has buckets of less than 0.1 ms, whose
 * numbers at today's clock readings are beyond what a double counts exactly (or infinite):
 * its totals would never decay.
 */
const windowMs = /* @__PURE__ */ number({ min: 1 });

/**
 * One of two forms, told apart by a key: `first` when `value[key]` is given; else
 * `second` when `value[secondKey]` is (any object, without `secondKey`); else the issue
 * `expected <forms>`, with what it got when that is not an object.
 */
const either =
  (forms: string, key: string, first: Rule, second: Rule, secondKey?: string): Rule =>
  (value, path, issues) => {
    const object = isObject(value) ? value : undefined;
    if (object?.[key] !== undefined) first(value, path, issues);
    else if (object && (secondKey === undefined || object[secondKey] !== undefined)) {
      second(value, path, issues);
    } else {
      issues.push(`${path}: expected ${forms}${object ? '' : `, got ${describeValue(value)}`}`);
    }
  };

const rateTrip = /* @__PURE__ */ shape(
  {
    rate: fraction,
    minimumCalls: count,
    window: /* @__PURE__ */ either(
      '{ calls } or { ms }',
      'calls',
      /* @__PURE__ */ shape({ calls: windowCalls }),
      /* @__PURE__ */ shape({ ms: windowMs }),
      'ms',
    ),
  },
  ['rate', 'minimumCalls', 'window'],
);

const tripRule = /* @__PURE__ */ either(
  '{ consecutive } or { rate, minimumCalls, window }',
  'consecutive',
  /* @__PURE__ */ shape({ consecutive: inARow }),
  (value, path, issues) => {
    rateTrip(value, path, issues);
    const { minimumCalls, window } = value as AnyTrip;
    const calls: unknown = window?.calls; // `window` may be anything: its own rule says so
    if (typeof minimumCalls === 'number' && typeof calls === 'number' && minimumCalls > calls) {
      issues.push(`${path}.minimumCalls: must be ≤ window.calls (${calls})`);
    }
  },
);

const breakerOptions = /* @__PURE__ */ shape(
  {
    name: nameRule,
    trip: tripRule,
    slowCall: /* @__PURE__ */ shape({ ms: nonNegative, rate: fraction }, ['ms', 'rate']),
    openMs: (value, path, issues) => {
      if (typeof value !== 'function') number({ min: 0, infinite: true })(value, path, issues);
    },
    halfOpenCalls: count,
    countsAsFailure: /* @__PURE__ */ fn('(error, classification) => boolean'),
    scheduler: schedulerRule,
    hub: hubRule,
    store: storeRule,
  },
  ['trip'],
);

let breakers = 0;

/**
 * Creates a circuit breaker: after enough failures it **opens**, and calls fail at once
 * with a `BrokenCircuitError` instead of reaching a dependency that is down; after
 * `openMs` it lets `halfOpenCalls` trial calls through (**half-open**), and closes when
 * they succeed or opens again when one fails.
 *
 * In plain words: stop hammering a dependency that is down, and check now and then
 * whether it is back.
 *
 * ```text
 * closed ──trip──▶ open ──openMs──▶ half_open ──halfOpenCalls succeed──▶ closed
 *                    ▲                  │
 *                    └──a trial fails───┘      isolate() ⇄ release(): isolated
 * ```
 *
 * A **call** is one subscription through the breaker. It succeeds on its first value or
 * on completion, fails on an error that `countsAsFailure`, and is not counted when it is
 * unsubscribed before either (a half-open permit is given back). Every transition starts
 * a new generation: an outcome from a call admitted before the last transition is
 * ignored. The breaker sets no timer: `open → half_open` is computed from
 * `scheduler.now()` when a call arrives or the state is read. Transitions are published
 * as `circuit_state_changed` signals on `hub`.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { circuitBreaker, createCircuitBreaker, createRecoveryHub } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 3 }, openMs: 10_000, hub });
 * breaker.state$.subscribe((state) => console.log(state));
 *
 * const complete = (prompt: string) => defer(() => client.complete(prompt)).pipe(circuitBreaker(breaker));
 * // Output, when the API fails three times in a row: closed, then open;
 * // for 10 s every call errors at once with BrokenCircuitError; the next call is a trial:
 * // half_open, then closed (it succeeded) or open (it failed).
 * ```
 * @param options See {@link CircuitBreakerOptions}; `trip` is required.
 * @returns A frozen {@link CircuitBreaker}, closed.
 * @throws RecoveryConfigError naming every unknown or invalid option.
 * @see circuitBreaker, isBrokenCircuitError
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  check(breakerOptions, options, 'options');
  const name = options.name ?? `breaker-${++breakers}`;
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = () => scheduler.now();
  const countsAsFailure = options.countsAsFailure ?? countsAsFailureByDefault;
  const { hub, slowCall: slow } = options;
  // Copies: a later change to the caller's objects must not change the breaker.
  const { consecutive, rate, minimumCalls, window } = options.trip as AnyTrip;
  const slowCall = slow && { ms: slow.ms, rate: slow.rate };
  const machine = breakerMachine({
    trip: (consecutive
      ? { consecutive }
      : {
          rate,
          minimumCalls,
          window: window?.calls ? { calls: window.calls } : { ms: window?.ms },
        }) as TripRule,
    slowCall,
    openMs: options.openMs ?? 30_000,
    halfOpenCalls: options.halfOpenCalls ?? 1,
  });
  const { transitions } = machine;
  const states = new BehaviorSubject<CircuitState>(machine.state);
  let announcing = false;
  /** The transition being announced, for an `observer_error` about it. */
  let announced: { readonly from: CircuitState; readonly to: CircuitState } | null = null;

  /**
   * Publishes the transitions the machine holds, in order (nothing when it holds none);
   * re-entrant events add to the same queue. After `dispose()`, `states` ignores them.
   */
  const announce = () => {
    if (announcing) return;
    announcing = true;
    try {
      // the iterator also reaches transitions added meanwhile (by a subscriber's event)
      for (const transition of transitions) {
        const { from, to } = transition;
        if (hub !== undefined) publishTo(hub, circuitStateChangedSignal(now(), name, from, to));
        announced = transition;
        states.next(to);
      }
    } finally {
      transitions.length = 0;
      announcing = false;
      announced = null;
    }
  };
  /** Applies time (open → half_open) and announces it. */
  const refresh = () => {
    machine.tick(now());
    announce();
  };

  const through = <T>(classify: (error: unknown) => Classification) => guard<T>(protocol, classify);
  const local: BreakerProtocol = {
    version: 1,
    name,
    timesCalls: slowCall !== undefined,
    now,
    admit() {
      if (machine.state === CLOSED) return machine.generation;
      const at = now();
      const permit = machine.admit(at);
      announce();
      return permit !== REFUSED
        ? permit
        : new BrokenCircuitError(
            name,
            machine.state as RefusingCircuitState,
            machine.retryAfterMs(at),
          );
    },
    succeed(permit, startedAt) {
      if (machine.succeedWithoutTime(permit)) return; // the happy path reads no clock
      const at = now();
      machine.succeed(permit, slowCall !== undefined && at - startedAt > slowCall.ms, at);
      announce();
    },
    fail(permit, error, classification) {
      if (permit !== machine.generation) return; // stale: spare the classification callback
      let counts = true; // a throw counts
      try {
        counts = Boolean(countsAsFailure(error, classification));
      } catch {}
      machine.fail(permit, counts, now());
      announce();
    },
    release(permit) {
      // Only a half-open trial has something to give back.
      if (permit !== machine.generation || machine.state === CLOSED) return;
      machine.release(permit, now());
      announce();
    },
    through,
  };
  const shared = storeOf(options.store)?.breaker({
    name: options.name,
    machine,
    local,
    countsAsFailure,
    announce,
    hub,
  });
  /** What calls go through: the store's protocol when there is one, with the call code added. */
  const protocol: BreakerProtocol = shared === undefined ? local : { ...shared.protocol, through };

  const breaker: CircuitBreaker = {
    name,
    get state() {
      refresh();
      return machine.state;
    },
    // A subscriber that throws is reported on the hub (and dropped without one): it never
    // reaches RxJS's unhandled-error path, which would end a Node process.
    state$: guarded(
      states,
      (error) => {
        if (hub === undefined) return;
        const { from, to } = announced ?? { from: states.value, to: states.value };
        publishTo(
          hub,
          observerErrorSignal(circuitStateChangedSignal(now(), name, from, to), error, 'state$'),
        );
      },
      refresh,
    ),
    snapshot(): CircuitBreakerSnapshot {
      const at = now();
      refresh();
      const { window } = machine;
      window.advance(at);
      const [failures = 0, ok = 0, slow = 0] = window.totals;
      return Object.freeze({
        name,
        state: machine.state,
        generation: machine.generation,
        opens: machine.opens,
        calls: failures + ok + slow,
        failures,
        successes: ok + slow,
        slow,
        consecutiveFailures: machine.consecutiveFailures,
        trialCalls: machine.trialsRunning,
        trialSuccesses: machine.trialSuccesses,
        isolations: machine.isolations,
        retryAfterMs: machine.retryAfterMs(at),
      });
    },
    reset() {
      shared?.manual('reset');
      machine.reset(now());
      announce();
    },
    dispose() {
      shared?.dispose();
      states.complete();
    },
    isolate(): IsolationHandle {
      const epoch = machine.isolate(now());
      shared?.manual('isolate');
      announce();
      let released = false;
      return Object.freeze({
        release() {
          if (released) return;
          released = true;
          shared?.manual('release', epoch);
          machine.releaseIsolation(epoch, now());
          announce();
        },
      });
    },
  };
  return withProtocol(breaker, PROTOCOL, protocol);
}
