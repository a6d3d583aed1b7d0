import type { RecoverySignal } from './signals.js';

/**
 * Aggregate figures over every recovery a hub has seen. Frozen; a new object per change.
 *
 * In plain words: how recovery is going, across every pipeline that shares the hub.
 *
 * It is a running reducer over the signals: O(1) in memory however many recoveries it
 * has seen (the count maps are bounded by the strategies and error types).
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type RecoveryStatistics } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * hub.statistics$.subscribe((stats: RecoveryStatistics) => dashboard.update(stats));
 * // … pipelines run with withRecovery(patterns, { hub }) …
 * hub.snapshot();
 * // → { totalRecoveries: 12, successful: 9, failed: 3, successRate: 0.75,
 * //     averageDurationMs: 158.3,
 * //     strategiesUsed: { retry: 5, alternative: 2, degrade: 3, escalate: 2 },
 * //     stepsByStrategy: { retry: 10, alternative: 2, degrade: 3, correct: 1 },
 * //     byErrorType: { timeout: 3, import: 2, … }, escalations: 3, retryBudgetExhausted: 0 }
 * ```
 */
export interface RecoveryStatistics {
  /** Recoveries that have ended, well or not: one per `recovery_completed` signal. */
  readonly totalRecoveries: number;
  /** Recoveries that ended with `success: true`. */
  readonly successful: number;
  /** Recoveries that ended with `success: false`, escalations included. */
  readonly failed: number;
  /** `successful / totalRecoveries`, in [0, 1]; 0 before the first recovery. */
  readonly successRate: number;
  /** Mean `durationMs` (scheduler time) over all finished recoveries; 0 before the first. */
  readonly averageDurationMs: number;
  /**
   * Finished recoveries by the strategy that ended them (their `strategyUsed`), `escalate`
   * and `none` included: the counts add up to `totalRecoveries`.
   */
  readonly strategiesUsed: Readonly<Record<string, number>>;
  /** Recovery steps taken, by strategy (`retry: 7`); escalation costs no step. */
  readonly stepsByStrategy: Readonly<Record<string, number>>;
  /** Finished recoveries by the type of the error that started them. */
  readonly byErrorType: Readonly<Record<string, number>>;
  /** Recoveries that ended in escalation. */
  readonly escalations: number;
  /** Retry and correct steps a shared retry budget could not pay for (they were skipped). */
  readonly retryBudgetExhausted: number;
}

/**
 * Running statistics: each signal is an O(1) update of a few counters (the count maps are
 * bounded by the strategies and error types), and the frozen {@link RecoveryStatistics}
 * is built only when somebody reads it, then reused until the next change. Private fields:
 * fast on the hub's delivery path, and a minifier shortens their names.
 */
export class StatisticsAccumulator {
  #total = 0;
  #successful = 0;
  #durationSum = 0;
  #escalations = 0;
  /** Steps a retry budget could not pay for. */
  #skipped = 0;
  readonly #strategies: Record<string, number> = {};
  readonly #steps: Record<string, number> = {};
  readonly #errorTypes: Record<string, number> = {};
  #cached: RecoveryStatistics | null = null;

  /** Folds one signal in; returns whether the statistics changed. */
  add(signal: RecoverySignal): boolean {
    switch (signal.type) {
      case 'recovery_attempt':
        this.#steps[signal.strategy] = (this.#steps[signal.strategy] ?? 0) + 1;
        break;
      case 'retry_budget_exhausted':
        this.#skipped += 1;
        break;
      case 'recovery_completed': {
        const { success, durationMs, errorType, strategyUsed } = signal.result;
        this.#strategies[strategyUsed] = (this.#strategies[strategyUsed] ?? 0) + 1;
        // A recovery that ended in escalation, once, however many times a person was asked.
        if (strategyUsed === 'escalate') this.#escalations += 1;
        this.#total += 1;
        if (success) this.#successful += 1;
        this.#durationSum += durationMs;
        this.#errorTypes[errorType] = (this.#errorTypes[errorType] ?? 0) + 1;
        break;
      }
      default:
        return false;
    }
    this.#cached = null;
    return true;
  }

  /** `successful / totalRecoveries`; 0 before the first recovery (`total &&`). */
  get successRate(): number {
    return this.#total && this.#successful / this.#total;
  }

  /** The statistics now, frozen; the same object until the next change. */
  snapshot(): RecoveryStatistics {
    const freeze = Object.freeze;
    const total = this.#total;
    this.#cached ??= freeze({
      totalRecoveries: total,
      successful: this.#successful,
      failed: total - this.#successful,
      successRate: this.successRate,
      averageDurationMs: total && this.#durationSum / total,
      strategiesUsed: freeze({ ...this.#strategies }),
      stepsByStrategy: freeze({ ...this.#steps }),
      byErrorType: freeze({ ...this.#errorTypes }),
      escalations: this.#escalations,
      retryBudgetExhausted: this.#skipped,
    });
    return this.#cached;
  }
}
