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
 * //     strategiesUsed: { retry: 10, alternative: 2, degrade: 3, correct: 1 },
 * //     byErrorType: { timeout: 3, import: 2, … }, escalations: 3 }
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
  /** Recovery steps taken, by strategy (`retry: 7`); escalations are counted apart. */
  readonly strategiesUsed: Readonly<Record<string, number>>;
  /** Finished recoveries by error type. */
  readonly byErrorType: Readonly<Record<string, number>>;
  /** Recoveries that ended in escalation. */
  readonly escalations: number;
}

/** The statistics before any recovery. */
const emptyStatistics: RecoveryStatistics = Object.freeze({
  totalRecoveries: 0,
  successful: 0,
  failed: 0,
  successRate: 0,
  averageDurationMs: 0,
  strategiesUsed: Object.freeze({}),
  byErrorType: Object.freeze({}),
  escalations: 0,
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
  private readonly strategies: Record<string, number> = {};
  private readonly errorTypes: Record<string, number> = {};
  private cached: RecoveryStatistics | null = emptyStatistics;

  /** Folds one signal in; returns whether the statistics changed. */
  add(signal: RecoverySignal): boolean {
    switch (signal.type) {
      case 'recovery_attempt':
        this.strategies[signal.strategy] = (this.strategies[signal.strategy] ?? 0) + 1;
        break;
      case 'escalated':
        this.escalations += 1;
        break;
      case 'recovery_completed': {
        const { success, durationMs, errorType } = signal.result;
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
      byErrorType: Object.freeze({ ...this.errorTypes }),
      escalations: this.escalations,
    });
    return this.cached;
  }
}
