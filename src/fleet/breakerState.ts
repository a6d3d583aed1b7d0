import type { CircuitState } from '../observability/signals.js';
import { MAX_WINDOW_CALLS, type Ring, ring } from './windows.js';

/**
 * The circuit breaker's decisions, as a state machine with no I/O: no scheduler, no
 * timer, no signal. Time comes in as `now` with every event; the owner (see
 * `createCircuitBreaker`) reads the clock, turns refusals into errors and announces the
 * transitions the machine leaves in {@link BreakerMachine.transitions}.
 *
 * Rules, in one place:
 * - Before any event, time is applied: an `open` breaker whose `openMs` has passed is
 *   `half_open` (a transition, computed when somebody looks, not on a timer).
 * - `closed`: every call is admitted. A finished call is recorded in the window (the last
 *   `calls` outcomes, or the last `ms` of time in 10 buckets); then the trip rule is
 *   checked: `consecutive` failures in a row, or, once the window holds `minimumCalls`,
 *   a failure rate ≥ `rate`; with `slowCall`, also a slow rate ≥ `slowCall.rate` over the
 *   window (for `consecutive`, the window is the last `consecutive` calls, at most
 *   `MAX_WINDOW_CALLS`, and must be full). A slow call is a success for the failure count
 *   and the failure rate. The failures in a row are a number: a `consecutive` trip of any
 *   size costs no memory for them.
 * - `open`: every call is refused until `openMs(opens)` has passed, then `half_open`.
 * - `half_open`: trial calls are admitted while `running + succeeded < halfOpenCalls`. A
 *   trial that fails (an error that counts) or is slow opens the breaker again; when
 *   `halfOpenCalls` trials have succeeded, it closes. A trial that ends without an outcome
 *   (unsubscribed, or an error that does not count) gives its permit back.
 * - `isolated`: every call is refused until every isolation is released; then `closed`.
 * - Generations: every transition (and `reset`) starts a new generation. A call's permit
 *   is the generation it was admitted in; an outcome with an older permit is ignored.
 * - Entering `closed` empties the window and the failure count and sets `opens` to 0.
 */

/** When the breaker trips: a failure count in a row, or a rate over a window. */
export type TripRule =
  | {
      /** Open after this many counted failures in a row: a whole number ≤ `Number.MAX_SAFE_INTEGER`. */
      readonly consecutive: number;
    }
  | {
      /** Open when the failure (or slow-call) rate over the window reaches this, in (0, 1]. */
      readonly rate: number;
      /** Calls the window must hold before the rate is judged. */
      readonly minimumCalls: number;
      /** The window: the last `calls` calls, or the calls of the last `ms` (scheduler time). */
      readonly window:
        | {
            /** The last this many calls, at most `MAX_WINDOW_CALLS` (100 000). */
            readonly calls: number;
          }
        | {
            /** The calls that finished in the last this many ms, at least 1. */
            readonly ms: number;
          };
    };

/** What the machine needs of the breaker's options, checked and with defaults applied. */
export interface BreakerSettings {
  readonly trip: TripRule;
  readonly slowCall?: { readonly ms: number; readonly rate: number } | undefined;
  readonly openMs: number | ((opens: number) => number);
  readonly halfOpenCalls: number;
}

/** One state change, in the order it happened. */
export interface Transition {
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/** What {@link BreakerMachine.admit} returns for a refused call. */
export const REFUSED = -1;

/** Used when `openMs(opens)` gives something that is not a number ≥ 0, or throws. */
export const DEFAULT_OPEN_MS = 30_000;

/** The states, named once (the fleet's modules compare them often). */
export const CLOSED = 'closed';
export const OPEN = 'open';
export const HALF_OPEN = 'half_open';
export const ISOLATED = 'isolated';

/**
 * How a call ended. The first three are also the counters of the machine's window (an
 * outcome counts on exactly one): `calls` is their sum, `successes` the last two.
 */
export const FAILURE = 0;
export const SUCCESS = 1;
export const SLOW = 2;
/** No outcome: unsubscribed, or an error that does not count. */
const NONE = 3;

/** A trip rule's fields, read without narrowing (absent ones are `undefined`). */
export type AnyTrip = {
  readonly consecutive?: number;
  readonly rate?: number;
  readonly minimumCalls?: number;
  readonly window?: { readonly calls?: number; readonly ms?: number };
};

/** The breaker's state machine: see the rules above, and {@link breakerMachine}. */
export interface BreakerMachine {
  state: CircuitState;
  /** Bumped by every transition and by `reset`; a permit is the generation it was admitted in. */
  generation: number;
  /** Openings in a row since the breaker last closed: what `openMs` is called with. */
  opens: number;
  /** When an `open` breaker becomes `half_open`. */
  openUntil: number;
  /** Failures in a row while closed. */
  consecutiveFailures: number;
  /** Half-open trial calls admitted and still running. */
  trialsRunning: number;
  /** Half-open trial calls that succeeded. */
  trialSuccesses: number;
  /** Isolation handles not yet released. */
  isolations: number;
  /** Numbers each isolated period; a handle of an earlier period releases nothing. */
  isolationEpoch: number;
  readonly settings: BreakerSettings;
  /**
   * The outcomes of closed-state calls: the last `window.calls` of them, or the last
   * `consecutive` (at most `MAX_WINDOW_CALLS`), or those of the last `window.ms`; its
   * counters are {@link FAILURE}, {@link SUCCESS} and {@link SLOW}.
   */
  readonly window: Ring;
  /**
   * Transitions not yet announced, oldest first. The owner reads and empties it after
   * each event; it is empty, and nothing is allocated, when the state did not change.
   */
  readonly transitions: Transition[];
  /**
   * Whether a closed-state success needs no clock: the window counts calls and a success
   * cannot trip the breaker (`consecutive` trip, no `slowCall`). See {@link BreakerMachine.succeedWithoutTime}.
   */
  readonly timeFreeSuccess: boolean;
  /** Applies time: an `open` breaker whose wait is over becomes `half_open`. */
  tick(now: number): void;
  /**
   * A call asks to run.
   * @returns Its permit (the current generation, ≥ 0), or {@link REFUSED}.
   */
  admit(now: number): number;
  /** The call with `permit` succeeded (its first value or completion); `slow` when late. */
  succeed(permit: number, slow: boolean, now: number): void;
  /**
   * The happy path of `succeed`, for an owner that would rather not read the clock:
   * records the success of a call admitted while closed when the time cannot matter
   * (`timeFreeSuccess`, and the breaker is closed).
   * @returns `false`, having done nothing, when the caller must call `succeed` with the time.
   */
  succeedWithoutTime(permit: number): boolean;
  /** The call with `permit` failed; `counts` says whether the error counts as a failure. */
  fail(permit: number, counts: boolean, now: number): void;
  /** The call with `permit` ended with no outcome (unsubscribed): a trial gives its permit back. */
  release(permit: number, now: number): void;
  /**
   * Holds the breaker open by hand (nested: it stays isolated until every isolation is
   * released).
   * @returns The epoch to release with.
   */
  isolate(now: number): number;
  /** Releases one isolation of `epoch`; the last one closes the breaker. */
  releaseIsolation(epoch: number, now: number): void;
  /**
   * Forgets everything: closed, empty window, a new generation (calls admitted before
   * are ignored), isolations ended (their handles release nothing).
   */
  reset(now: number): void;
  /** How long a refused call should wait: the rest of `openMs` when open, `Infinity` when isolated, else 0. */
  retryAfterMs(now: number): number;
  /**
   * Enters `to` (a transition, a new generation). Also how a shared store makes the
   * machine follow the shared state.
   */
  move(to: CircuitState, now: number): void;
  /** How long the `opens`-th opening in a row lasts: `openMs`, guarded. */
  openDuration(opens: number): number;
}

/**
 * A breaker's state machine, closed. A plain object whose fields the owner (and a shared
 * store) read and set; its methods reach it by closure, not `this`.
 */
export function breakerMachine(settings: BreakerSettings): BreakerMachine {
  const { consecutive, rate, minimumCalls, window: form } = settings.trip as AnyTrip;
  // One trip rule or the other, as plain numbers: a bound the rule does not have is never
  // reached (Infinity), so `tripped` needs no casts and no comparisons with undefined.
  const inARow = consecutive ?? Number.POSITIVE_INFINITY;
  const failureRate = rate ?? Number.POSITIVE_INFINITY;
  // A count window: the last `calls`, or for a `consecutive` trip the last `consecutive`
  // calls, at most MAX_WINDOW_CALLS (the option checks keep `calls` within it).
  const size = Math.min(form?.calls ?? inARow, MAX_WINDOW_CALLS);
  const fullWindow = minimumCalls ?? size;
  const { slowCall, halfOpenCalls, openMs } = settings;
  const window = ring(3, form?.ms, size);

  const tick = (now: number) => {
    if (m.state === OPEN && now >= m.openUntil) move(HALF_OPEN, now);
  };

  const move = (to: CircuitState, now: number) => {
    const from = m.state;
    m.state = to;
    m.generation++;
    m.trialsRunning = m.trialSuccesses = 0;
    if (to === CLOSED) enterClosed();
    else if (to === OPEN) m.openUntil = now + m.openDuration(++m.opens);
    m.transitions.push({ from, to });
  };

  /** Entering `closed` empties the window and the failure count and sets `opens` to 0. */
  const enterClosed = () => {
    window.clear();
    m.consecutiveFailures = m.opens = 0;
  };

  /**
   * Whether the closed breaker trips now: `consecutive` failures in a row; or, once the
   * window holds `minimumCalls` calls (`consecutive` ones for that rule: it must be full),
   * a failure rate ≥ `rate` or, with `slowCall`, a slow rate ≥ `slowCall.rate`.
   */
  const tripped = () => {
    const counts = window.totals;
    const failures = counts[FAILURE] as number;
    const slow = counts[SLOW] as number;
    const calls = failures + (counts[SUCCESS] as number) + slow;
    return (
      m.consecutiveFailures >= inARow ||
      (calls >= fullWindow &&
        (failures / calls >= failureRate ||
          (slowCall !== undefined && slow / calls >= slowCall.rate)))
    );
  };

  /** The call with `permit` ended with `outcome`. */
  const end = (permit: number, outcome: number, now: number) => {
    tick(now);
    if (permit !== m.generation) return;
    if (m.state === HALF_OPEN) {
      m.trialsRunning--;
      if (outcome === SUCCESS) {
        if (++m.trialSuccesses >= halfOpenCalls) move(CLOSED, now);
      } else if (outcome !== NONE) {
        move(OPEN, now); // a failed or slow trial
      }
    } else if (m.state === CLOSED && outcome !== NONE) {
      window.add(now, outcome);
      m.consecutiveFailures = outcome === FAILURE ? m.consecutiveFailures + 1 : 0;
      if (tripped()) move(OPEN, now);
    }
  };

  const m: BreakerMachine = {
    state: CLOSED,
    generation: 0,
    opens: 0,
    openUntil: 0,
    consecutiveFailures: 0,
    trialsRunning: 0,
    trialSuccesses: 0,
    isolations: 0,
    isolationEpoch: 0,
    settings,
    window,
    transitions: [],
    timeFreeSuccess: form === undefined && slowCall === undefined,
    tick,
    admit(now) {
      if (m.state === CLOSED) return m.generation;
      tick(now);
      // still open, or isolated, or every trial permit taken: refused
      if (m.state !== HALF_OPEN || m.trialsRunning + m.trialSuccesses >= halfOpenCalls) {
        return REFUSED;
      }
      m.trialsRunning++;
      return m.generation;
    },
    succeed: (permit, slow, now) => end(permit, slow ? SLOW : SUCCESS, now),
    succeedWithoutTime(permit) {
      if (!m.timeFreeSuccess || m.state !== CLOSED) return false;
      if (permit === m.generation) {
        window.add(0, SUCCESS); // a count window: the time is not read
        m.consecutiveFailures = 0;
      }
      return true;
    },
    fail: (permit, counts, now) => end(permit, counts ? FAILURE : NONE, now),
    release: (permit, now) => end(permit, NONE, now),
    isolate(now) {
      tick(now);
      if (m.state !== ISOLATED) {
        m.isolationEpoch++;
        move(ISOLATED, now);
      }
      m.isolations++;
      return m.isolationEpoch;
    },
    releaseIsolation(epoch, now) {
      tick(now);
      if (m.state === ISOLATED && epoch === m.isolationEpoch && --m.isolations === 0) {
        move(CLOSED, now);
      }
    },
    reset(now) {
      tick(now);
      m.isolations = 0;
      if (m.state !== CLOSED) {
        move(CLOSED, now);
      } else {
        m.generation++;
        enterClosed();
      }
    },
    retryAfterMs: (now) =>
      m.state === OPEN
        ? Math.max(0, m.openUntil - now)
        : m.state === ISOLATED
          ? Number.POSITIVE_INFINITY
          : 0,
    move,
    openDuration(opens) {
      if (typeof openMs === 'number') return openMs;
      try {
        const ms: unknown = openMs(opens);
        if (typeof ms === 'number' && ms >= 0) return ms;
      } catch {
        // a throwing openMs counts as the default
      }
      return DEFAULT_OPEN_MS;
    },
  };
  return m;
}
