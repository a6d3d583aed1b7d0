import type { CircuitState } from '../observability/signals.js';
import type { RecoveryStatistics } from '../observability/statistics.js';

/**
 * What the dashboard's event stream carries: one JSON object per server-sent event. A
 * `full` update replaces everything the page shows; a delta carries only the sections that
 * changed since the previous update (and, for `signals`, only the new lines).
 *
 * Times (`now`, `at`, `since`, `waitingSince`) are the dashboard's clock in ms
 * (`scheduler.now()`, the wall clock by default).
 */
export interface DashboardUpdate {
  /** `true` for a whole picture (the first event of a stream, or after a slow page caught up). */
  readonly full: boolean;
  /** The dashboard's clock when the update was built. */
  readonly now: number;
  /** The hub's name (full updates only). */
  readonly hub?: string;
  /** The hub's statistics (`hub.snapshot()`). */
  readonly statistics?: RecoveryStatistics;
  /** Recoveries and failures per second over the last minute. */
  readonly rate?: RateView;
  /**
   * Every breaker in sight: the `breakers` option first, then those named by signals or
   * read from the fleet (`fleet` option), in the order the dashboard first saw them.
   */
  readonly breakers?: readonly BreakerView[];
  /** Every budget in sight: the `budgets` option first, then those named by signals or the fleet. */
  readonly budgets?: readonly BudgetView[];
  /** Shared-state stores that reported trouble, and the fleet's store once it could not be read. */
  readonly stores?: readonly StoreView[];
  /** The newest lines last; a delta carries only lines it has not sent before. */
  readonly signals?: readonly SignalLine[];
  /** The escalations waiting for a person. */
  readonly escalations?: EscalationsView;
}

/** Recoveries that ended, per second, over the last 60 seconds (60 entries each). */
export interface RateView {
  /** The second (`⌊now / 1000⌋`) of the last entry of each array. */
  readonly second: number;
  /** Recoveries that succeeded, oldest second first. */
  readonly recovered: readonly number[];
  /** Recoveries that failed (escalations included), oldest second first. */
  readonly failed: readonly number[];
}

/** One circuit breaker: its state, its last transitions and, for a breaker object, its counters. */
export interface BreakerView {
  /** The breaker's `name`. */
  readonly name: string;
  /** Its state now (`closed` until the dashboard hears otherwise). */
  readonly state: CircuitState;
  /** When the dashboard saw it enter `state`; absent when it never saw a transition. */
  readonly since?: number;
  /** The last transitions (at most 5), oldest first. */
  readonly transitions: readonly BreakerTransition[];
  /**
   * `true` when the state and counters are the fleet's, read from the shared store
   * (`fleet` option): the breaker is shared by every process under the store's prefix.
   */
  readonly shared?: boolean;
  /**
   * Calls in the breaker's window, when the breaker object was given (`breakers` option) or
   * read from the fleet. A figure the fleet's store cannot tell (a hash written by older
   * scripts) is absent, here and below.
   */
  readonly calls?: number;
  /** Failed calls in the window, when the breaker object was given or read from the fleet. */
  readonly failures?: number;
  /** Failures in a row, when the breaker object was given or read from the fleet. */
  readonly consecutiveFailures?: number;
  /** Openings in a row since it last closed, for a breaker read from the fleet. */
  readonly opens?: number;
  /** How long calls are still refused; `null` while isolated (until released). */
  readonly retryAfterMs?: number | null;
}

/** One state change of a breaker, as the dashboard saw it. */
export interface BreakerTransition {
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
  /** When the dashboard saw it. */
  readonly at: number;
}

/** One retry budget: its counters when the object was given, and how often it ran dry. */
export interface BudgetView {
  /** The budget's `name`. */
  readonly name: string;
  /** `true` when the counters are the fleet's, read from the shared store (`fleet` option). */
  readonly shared?: boolean;
  /** Requests over its window, when the budget object was given (`budgets` option) or read from the fleet. */
  readonly deposits?: number;
  /**
   * Retries, corrections and hedges paid for over its window, when the object was given;
   * for the fleet, tokens lent to its processes included.
   */
  readonly withdrawals?: number;
  /**
   * Withdrawals it would pay now, when the object was given or read from the fleet. A figure
   * the fleet's store cannot tell (a hash written by older scripts) is absent, here and above.
   */
  readonly balance?: number;
  /** `retry_budget_exhausted` signals seen. */
  readonly exhausted: number;
  /** When the last of those came. */
  readonly lastExhaustedAt?: number;
}

/** A shared-state store that degraded (and maybe recovered). */
export interface StoreView {
  /** The store's prefix. */
  readonly name: string;
  /** `degraded` after `store_degraded`, `ok` after `store_recovered`. */
  readonly state: 'degraded' | 'ok';
  /** When it entered that state. */
  readonly since: number;
  /** The first line of what the store's client reported, while degraded. */
  readonly error?: string;
}

/** One recent signal, as one line of text. */
export interface SignalLine {
  /** Numbers the signals the dashboard has seen, from 1. */
  readonly seq: number;
  /** When the dashboard received it. */
  readonly at: number;
  /** The signal's `type`. */
  readonly type: string;
  /** The signal's `nodeName`, when it has one. */
  readonly node?: string;
  /** What happened, in one line of at most 240 characters. */
  readonly text: string;
  /** How it reads: `ok` recovered, `info` a step, `warn` an error or a skipped step, `bad` a failure. */
  readonly tone: 'ok' | 'info' | 'warn' | 'bad';
}

/** The escalations waiting for a person: the oldest 100, and how many wait. */
export interface EscalationsView {
  /** How many wait. */
  readonly total: number;
  /** The oldest of them (at most 100), oldest first. */
  readonly items: readonly EscalationView[];
}

/** One waiting escalation, as the page shows it. */
export interface EscalationView {
  /** The record's `id`: what `POST /api/escalations/<id>` resolves. */
  readonly id: string;
  /** The record's `context.nodeName`. */
  readonly node?: string;
  /** The record's `context.workflowId`. */
  readonly workflow?: string;
  /** The record's `context.correlationId`. */
  readonly correlationId: string;
  /** The type of the error that escalated. */
  readonly errorType: string;
  /** The pattern whose plan escalated. */
  readonly patternId?: string;
  /** The error's text, at most 2,000 characters. */
  readonly message: string;
  /** Recovery steps taken before escalating. */
  readonly attempts: number;
  /** When the dashboard first saw it waiting. */
  readonly waitingSince: number;
}

/** Seconds of history in {@link RateView}. */
export const RATE_SECONDS = 60;
/** Recent signals kept for a page that opens. */
export const RECENT_SIGNALS = 50;
/** Transitions kept per breaker. */
export const TRANSITIONS_KEPT = 5;
/** Waiting escalations sent to the page; the rest are counted in `total`. */
export const MAX_ESCALATIONS_SHOWN = 100;
/** Breakers, budgets and stores known by name only (from signals); more are not shown. */
export const MAX_NAMED = 100;
/** Characters of an escalation's message sent to the page. */
export const MAX_MESSAGE = 2000;
