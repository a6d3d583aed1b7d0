import type { CircuitBreakerSnapshot } from '../fleet/circuitBreaker.js';
import type { RetryBudgetSnapshot } from '../fleet/retryBudget.js';
import type { CircuitState, RecoverySignal } from '../observability/signals.js';
import type { RecoveryStatistics } from '../observability/statistics.js';
import { errorText } from '../patterns/errorText.js';
import type { FleetReport } from '../redis/fleetView.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import { describeSignal, firstLine } from './signalLine.js';
import {
  type BreakerTransition,
  type BreakerView,
  type BudgetView,
  type DashboardUpdate,
  type EscalationView,
  MAX_ESCALATIONS_SHOWN,
  MAX_MESSAGE,
  MAX_NAMED,
  RATE_SECONDS,
  RECENT_SIGNALS,
  type SignalLine,
  type StoreView,
  TRANSITIONS_KEPT,
} from './view.js';

/** The sections of a {@link DashboardUpdate}, as bits of the model's `dirty` mask. */
const STATISTICS = 1;
const RATE = 2;
const BREAKERS = 4;
const BUDGETS = 8;
const STORES = 16;
const SIGNALS = 32;
const ESCALATIONS = 64;
const EVERYTHING = 127;

interface BreakerEntry {
  state: CircuitState | undefined;
  since: number | undefined;
  transitions: BreakerTransition[];
  snapshot: CircuitBreakerSnapshot | undefined;
  /** Given in the options: never forgotten. */
  readonly pinned: boolean;
  /** Its counters are the fleet's (read from the shared store), not an object's. */
  shared: boolean;
}

interface BudgetEntry {
  snapshot: RetryBudgetSnapshot | undefined;
  exhausted: number;
  lastExhaustedAt: number | undefined;
  readonly pinned: boolean;
  shared: boolean;
}

/** One slot of the recent-signals ring: the signal until its line is first needed. */
interface Slot {
  readonly seq: number;
  readonly at: number;
  signal: RecoverySignal | undefined;
  line: SignalLine | undefined;
}

const mod = (n: number, m: number) => ((n % m) + m) % m;

/**
 * What the dashboard shows, folded from the hub's signals, statistics and escalations and
 * from the breaker and budget objects. No I/O and no clock: time comes in as `now`.
 *
 * Every update is O(1) (a counter, a ring slot), so a pipeline that publishes a signal
 * pays next to nothing; text and JSON are made only when an update is sent. Memory is
 * bounded whatever the traffic: {@link RECENT_SIGNALS} signals, {@link RATE_SECONDS}
 * seconds of counts, {@link TRANSITIONS_KEPT} transitions per breaker, at most
 * {@link MAX_NAMED} breakers, budgets and stores known only by name.
 */
export class DashboardModel {
  /** Sections changed since the last {@link DashboardModel.delta}. */
  private dirty = EVERYTHING;
  private statistics: RecoveryStatistics;

  private readonly recovered = new Array<number>(RATE_SECONDS).fill(0);
  private readonly failed = new Array<number>(RATE_SECONDS).fill(0);
  /** The second of the newest count. */
  private second = Number.NEGATIVE_INFINITY;

  private readonly ring: (Slot | undefined)[] = new Array(RECENT_SIGNALS);
  private seq = 0;
  /** The last signal a delta carried. */
  private sentSeq = 0;

  private readonly breakers = new Map<string, BreakerEntry>();
  private readonly budgets = new Map<string, BudgetEntry>();
  private readonly stores = new Map<string, StoreView>();

  private escalations: readonly EscalationRecord[] = [];
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly hubName: string,
    statistics: RecoveryStatistics,
    tracked: { readonly breakers: readonly string[]; readonly budgets: readonly string[] },
  ) {
    this.statistics = statistics;
    for (const name of tracked.breakers) this.breakerEntry(name, true);
    for (const name of tracked.budgets) this.budgetEntry(name, true);
  }

  /** Whether anything changed since the last delta. */
  get changed(): boolean {
    return this.dirty !== 0;
  }

  /** Folds one signal in: O(1). */
  addSignal(signal: RecoverySignal, now: number): void {
    this.seq += 1;
    this.ring[this.seq % RECENT_SIGNALS] = { seq: this.seq, at: now, signal, line: undefined };
    this.dirty |= SIGNALS;
    switch (signal.type) {
      case 'recovery_completed':
        this.countRecovery(signal.result.success, now);
        break;
      case 'circuit_state_changed':
        this.breakerState(signal.breakerName, signal.to, now, signal.from);
        break;
      case 'retry_budget_exhausted': {
        const entry = this.budgetEntry(signal.budgetName, false);
        if (entry === undefined) break;
        entry.exhausted += 1;
        entry.lastExhaustedAt = now;
        this.dirty |= BUDGETS;
        break;
      }
      case 'store_degraded':
      case 'store_recovered':
        if (this.stores.has(signal.store) || this.stores.size < MAX_NAMED) {
          this.stores.set(
            signal.store,
            signal.type === 'store_degraded'
              ? {
                  name: signal.store,
                  state: 'degraded',
                  since: now,
                  error: firstLine(errorText(signal.error)),
                }
              : { name: signal.store, state: 'ok', since: now },
          );
          this.dirty |= STORES;
        }
        break;
      default:
        break;
    }
  }

  setStatistics(statistics: RecoveryStatistics): void {
    if (statistics === this.statistics) return;
    this.statistics = statistics;
    this.dirty |= STATISTICS;
  }

  /** The hub's waiting escalations changed: `records` is the whole list, oldest first. */
  setEscalations(records: readonly EscalationRecord[], now: number): void {
    this.escalations = records;
    const shown = Math.min(records.length, MAX_ESCALATIONS_SHOWN);
    for (let index = 0; index < shown; index++) {
      const { id } = records[index] as EscalationRecord;
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, now);
    }
    if (this.firstSeen.size > 2 * MAX_ESCALATIONS_SHOWN || records.length === 0) {
      const keep = new Set(records.slice(0, shown).map((record) => record.id));
      for (const id of this.firstSeen.keys()) if (!keep.has(id)) this.firstSeen.delete(id);
    }
    this.dirty |= ESCALATIONS;
  }

  /**
   * A breaker is in state `to`: from a `circuit_state_changed` signal (with `from`), from
   * the breaker's `state$` or its snapshot (without). A state already known is no news.
   * `shared`: heard from the fleet's store (its `changes$`), so the fleet's next read
   * forgets the breaker when its key is gone, like one it read.
   */
  breakerState(
    name: string,
    to: CircuitState,
    now: number,
    from?: CircuitState,
    shared = false,
  ): void {
    const entry = this.breakerEntry(name, false);
    if (entry === undefined) return;
    if (shared && !entry.shared) {
      entry.shared = true;
      this.dirty |= BREAKERS;
    }
    if (entry.state === to) return;
    const previous = from ?? entry.state;
    entry.state = to;
    if (previous !== undefined) {
      entry.since = now;
      entry.transitions.push({ from: previous, to, at: now });
      if (entry.transitions.length > TRANSITIONS_KEPT) entry.transitions.shift();
    }
    this.dirty |= BREAKERS;
  }

  /**
   * A breaker object's counters, read now; or, `shared`, the fleet's, read from the store.
   * Once the fleet reports a breaker, its counters are the ones shown: the object's (the
   * mirror of one process) are ignored.
   */
  breakerSnapshot(snapshot: CircuitBreakerSnapshot, now: number, shared = false): void {
    const entry = this.breakerEntry(snapshot.name, !shared);
    if (entry === undefined || (entry.shared && !shared)) return;
    if (entry.shared !== shared) this.dirty |= BREAKERS;
    entry.shared = shared;
    this.breakerState(snapshot.name, snapshot.state, now);
    const before = entry.snapshot;
    entry.snapshot = snapshot;
    if (
      before === undefined ||
      !Object.is(before.calls, snapshot.calls) ||
      !Object.is(before.failures, snapshot.failures) ||
      !Object.is(before.consecutiveFailures, snapshot.consecutiveFailures) ||
      !Object.is(before.opens, snapshot.opens) ||
      !Object.is(before.retryAfterMs, snapshot.retryAfterMs)
    ) {
      this.dirty |= BREAKERS;
    }
  }

  /** A budget object's counters, read now; or, `shared`, the fleet's (as for breakers). */
  budgetSnapshot(name: string, snapshot: RetryBudgetSnapshot, shared = false): void {
    const entry = this.budgetEntry(name, !shared);
    if (entry === undefined || (entry.shared && !shared)) return;
    if (entry.shared !== shared) this.dirty |= BUDGETS;
    entry.shared = shared;
    const before = entry.snapshot;
    entry.snapshot = snapshot;
    if (
      before === undefined ||
      !Object.is(before.deposits, snapshot.deposits) ||
      !Object.is(before.withdrawals, snapshot.withdrawals) ||
      !Object.is(before.balance, snapshot.balance)
    ) {
      this.dirty |= BUDGETS;
    }
  }

  /**
   * What a read of the fleet's shared store found (`fleet` option): its breakers and
   * budgets, with their counters; those it no longer finds (expired) are forgotten, unless
   * given in the options. A store that could not be read shows as degraded, with the
   * reason, and what was shown stays; the next read that succeeds shows it recovered.
   * Bounded like names from signals: at most {@link MAX_NAMED} breakers and budgets.
   */
  fleetReport(report: FleetReport, now: number): void {
    const store = this.stores.get(report.prefix);
    if (!report.reachable) {
      if (store?.state !== 'degraded' && (store !== undefined || this.stores.size < MAX_NAMED)) {
        this.stores.set(report.prefix, {
          name: report.prefix,
          state: 'degraded',
          since: now,
          ...(report.error === undefined ? {} : { error: firstLine(report.error) }),
        });
        this.dirty |= STORES;
      }
      return;
    }
    if (store?.state === 'degraded') {
      this.stores.set(report.prefix, { name: report.prefix, state: 'ok', since: now });
      this.dirty |= STORES;
    }
    const breakers = new Set<string>();
    for (const breaker of report.breakers) {
      breakers.add(breaker.name);
      this.breakerSnapshot(breaker, now, true);
    }
    const budgets = new Set<string>();
    for (const budget of report.budgets) {
      budgets.add(budget.name);
      this.budgetSnapshot(budget.name, budget, true);
    }
    for (const [name, entry] of this.breakers) {
      if (entry.shared && !breakers.has(name)) this.forget(this.breakers, name, entry, BREAKERS);
    }
    for (const [name, entry] of this.budgets) {
      if (entry.shared && !budgets.has(name)) this.forget(this.budgets, name, entry, BUDGETS);
    }
  }

  /** The whole picture, for a page that opens or catches up. Leaves the delta state alone. */
  full(now: number): DashboardUpdate {
    return this.build(EVERYTHING, now, 0, true);
  }

  /**
   * The sections that changed since the previous delta (signals: the new lines only), or
   * `null` when nothing did.
   */
  delta(now: number): DashboardUpdate | null {
    if (this.dirty === 0) return null;
    const update = this.build(this.dirty, now, this.sentSeq, false);
    this.dirty = 0;
    this.sentSeq = this.seq;
    return update;
  }

  private build(sections: number, now: number, afterSeq: number, full: boolean): DashboardUpdate {
    return {
      full,
      now,
      ...(full ? { hub: this.hubName } : {}),
      ...(sections & STATISTICS ? { statistics: this.statistics } : {}),
      ...(sections & RATE ? { rate: this.rateView(now) } : {}),
      ...(sections & BREAKERS ? { breakers: [...this.breakers].map(breakerView) } : {}),
      ...(sections & BUDGETS ? { budgets: [...this.budgets].map(budgetView) } : {}),
      ...(sections & STORES ? { stores: [...this.stores.values()] } : {}),
      ...(sections & SIGNALS ? { signals: this.lines(afterSeq) } : {}),
      ...(sections & ESCALATIONS ? { escalations: this.escalationsView() } : {}),
    };
  }

  private countRecovery(success: boolean, now: number): void {
    const second = Math.floor(now / 1000);
    this.advance(second);
    const index = mod(Math.min(second, this.second), RATE_SECONDS);
    const counts = success ? this.recovered : this.failed;
    counts[index] = (counts[index] ?? 0) + 1;
    this.dirty |= RATE;
  }

  /** Moves the newest second to `second`, zeroing the seconds in between. */
  private advance(second: number): void {
    if (second <= this.second) return;
    const gap = Math.min(second - this.second, RATE_SECONDS);
    for (let step = 1; step <= gap; step++) {
      const index = mod(second - gap + step, RATE_SECONDS);
      this.recovered[index] = 0;
      this.failed[index] = 0;
    }
    this.second = second;
  }

  private rateView(now: number) {
    const second = Math.floor(now / 1000);
    this.advance(second);
    const order = (counts: readonly number[]) =>
      Array.from(
        { length: RATE_SECONDS },
        (_, i) => counts[mod(this.second - RATE_SECONDS + 1 + i, RATE_SECONDS)] ?? 0,
      );
    return { second: this.second, recovered: order(this.recovered), failed: order(this.failed) };
  }

  /** Lines of the signals after `afterSeq` still in the ring, oldest first. */
  private lines(afterSeq: number): SignalLine[] {
    const lines: SignalLine[] = [];
    const from = Math.max(afterSeq + 1, this.seq - RECENT_SIGNALS + 1, 1);
    for (let seq = from; seq <= this.seq; seq++) {
      const slot = this.ring[seq % RECENT_SIGNALS];
      if (slot === undefined || slot.seq !== seq) continue;
      if (slot.line === undefined && slot.signal !== undefined) {
        const { signal } = slot;
        slot.line = {
          seq,
          at: slot.at,
          type: signal.type,
          ...(signal.nodeName === undefined ? {} : { node: signal.nodeName }),
          ...describeSignal(signal),
        };
        slot.signal = undefined; // the line is all a page needs; let the error go
      }
      if (slot.line !== undefined) lines.push(slot.line);
    }
    return lines;
  }

  private escalationsView() {
    const records = this.escalations;
    const items: EscalationView[] = records.slice(0, MAX_ESCALATIONS_SHOWN).map((record) => ({
      id: record.id,
      ...(record.context.nodeName === undefined ? {} : { node: record.context.nodeName }),
      ...(record.context.workflowId === undefined ? {} : { workflow: record.context.workflowId }),
      correlationId: record.context.correlationId,
      errorType: record.errorType,
      ...(record.patternId === undefined ? {} : { patternId: record.patternId }),
      message:
        record.message.length > MAX_MESSAGE
          ? `${record.message.slice(0, MAX_MESSAGE - 1)}…`
          : record.message,
      attempts: record.attempts,
      waitingSince: this.firstSeen.get(record.id) ?? 0,
    }));
    return { total: records.length, items };
  }

  /** An entry the fleet no longer reports: gone, unless the options name it (then its object's again). */
  private forget<E extends { pinned: boolean; shared: boolean; snapshot: unknown }>(
    map: Map<string, E>,
    name: string,
    entry: E,
    section: number,
  ): void {
    if (entry.pinned) {
      entry.shared = false;
      entry.snapshot = undefined;
    } else {
      map.delete(name);
    }
    this.dirty |= section;
  }

  private breakerEntry(name: string, tracked: boolean): BreakerEntry | undefined {
    let entry = this.breakers.get(name);
    if (entry === undefined) {
      if (!tracked && this.breakers.size >= MAX_NAMED) return undefined;
      entry = {
        state: undefined,
        since: undefined,
        transitions: [],
        snapshot: undefined,
        pinned: tracked,
        shared: false,
      };
      this.breakers.set(name, entry);
      this.dirty |= BREAKERS;
    }
    return entry;
  }

  private budgetEntry(name: string, tracked: boolean): BudgetEntry | undefined {
    let entry = this.budgets.get(name);
    if (entry === undefined) {
      if (!tracked && this.budgets.size >= MAX_NAMED) return undefined;
      entry = {
        snapshot: undefined,
        exhausted: 0,
        lastExhaustedAt: undefined,
        pinned: tracked,
        shared: false,
      };
      this.budgets.set(name, entry);
      this.dirty |= BUDGETS;
    }
    return entry;
  }
}

function breakerView([name, entry]: [string, BreakerEntry]): BreakerView {
  const { snapshot } = entry;
  return {
    name,
    state: entry.state ?? 'closed',
    ...(entry.since === undefined ? {} : { since: entry.since }),
    transitions: entry.transitions,
    ...(entry.shared ? { shared: true } : {}),
    ...(snapshot === undefined
      ? {}
      : {
          ...known({
            ...(entry.shared ? { opens: snapshot.opens } : {}),
            calls: snapshot.calls,
            failures: snapshot.failures,
            consecutiveFailures: snapshot.consecutiveFailures,
          }),
          retryAfterMs: Number.isFinite(snapshot.retryAfterMs) ? snapshot.retryAfterMs : null,
        }),
  };
}

function budgetView([name, entry]: [string, BudgetEntry]): BudgetView {
  const snapshot = entry.snapshot;
  return {
    name,
    ...(entry.shared ? { shared: true } : {}),
    ...(snapshot === undefined
      ? {}
      : known({
          deposits: snapshot.deposits,
          withdrawals: snapshot.withdrawals,
          balance: snapshot.balance,
        })),
    exhausted: entry.exhausted,
    ...(entry.lastExhaustedAt === undefined ? {} : { lastExhaustedAt: entry.lastExhaustedAt }),
  };
}

/**
 * The figures that are known: a count the fleet's store cannot tell (`NaN`: a hash written
 * by older scripts) is left out, and the page shows "–", as for a breaker without counters.
 */
function known<T extends Record<string, number | undefined>>(figures: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in figures) if (!Number.isNaN(figures[key])) out[key] = figures[key];
  return out;
}
