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

/** The statistics before any recovery. */
const emptyStatistics: RecoveryStatistics = Object.freeze({
  totalRecoveries: 0,
  successful: 0,
  failed: 0,
  successRate: 0,
  averageDurationMs: 0,
  strategiesUsed: Object.freeze({}),
  stepsByStrategy: Object.freeze({}),
  byErrorType: Object.freeze({}),
  escalations: 0,
  retryBudgetExhausted: 0,
});

/**
 * Running statistics: each signal is an O(1) update of a few counters (the count maps are
 * bounded by the strategies and error types), and the frozen {@link RecoveryStatistics}
 * is built only when somebody reads it, then reused until the next change.
 */
export class StatisticsAccumulator {
  private total = 0;
  private successful = 0;
  private durationSum = 0;
  private escalations = 0;
  private skipped = 0;
  private readonly strategies: Record<string, number> = {};
  private readonly steps: Record<string, number> = {};
  private readonly errorTypes: Record<string, number> = {};
  private cached: RecoveryStatistics | null = emptyStatistics;

  /** Folds one signal in; returns whether the statistics changed. */
  add(signal: RecoverySignal): boolean {
    switch (signal.type) {
      case 'recovery_attempt':
        this.steps[signal.strategy] = (this.steps[signal.strategy] ?? 0) + 1;
        break;
      case 'escalated':
        this.escalations += 1;
        break;
      case 'retry_budget_exhausted':
        this.skipped += 1;
        break;
      case 'recovery_completed': {
        const { success, durationMs, errorType, strategyUsed } = signal.result;
        this.strategies[strategyUsed] = (this.strategies[strategyUsed] ?? 0) + 1;
        this.total += 1;
        if (success) this.successful += 1;
        this.durationSum += durationMs;
        this.errorTypes[errorType] = (this.errorTypes[errorType] ?? 0) + 1;
        break;
      }
      default:
        return false;
    }
    this.cached = null;
    return true;
  }

  /** `successful / totalRecoveries`; 0 before the first recovery. */
  get successRate(): number {
    return this.total === 0 ? 0 : this.successful / this.total;
  }

  /** The statistics now, frozen; the same object until the next change. */
  snapshot(): RecoveryStatistics {
    this.cached ??= Object.freeze({
      totalRecoveries: this.total,
      successful: this.successful,
      failed: this.total - this.successful,
      successRate: this.successRate,
      averageDurationMs: this.total === 0 ? 0 : this.durationSum / this.total,
      strategiesUsed: Object.freeze({ ...this.strategies }),
      stepsByStrategy: Object.freeze({ ...this.steps }),
      byErrorType: Object.freeze({ ...this.errorTypes }),
      escalations: this.escalations,
      retryBudgetExhausted: this.skipped,
    });
    return this.cached;
  }
}
