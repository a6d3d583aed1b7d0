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
export const emptyStatistics: RecoveryStatistics = Object.freeze({
  totalRecoveries: 0,
  successful: 0,
  failed: 0,
  successRate: 0,
  averageDurationMs: 0,
  strategiesUsed: Object.freeze({}),
  byErrorType: Object.freeze({}),
  escalations: 0,
});

function increment(counts: Readonly<Record<string, number>>, key: string) {
  return Object.freeze({ ...counts, [key]: (counts[key] ?? 0) + 1 });
}

/**
 * Folds one signal into the statistics: a running reducer, so memory stays O(1) in the
 * number of recoveries (the count maps are bounded by the strategies and error types).
 * Returns the same object when the signal changes nothing.
 */
export function reduceStatistics(
  stats: RecoveryStatistics,
  signal: RecoverySignal,
): RecoveryStatistics {
  switch (signal.type) {
    case 'recovery_attempt':
      return Object.freeze({
        ...stats,
        strategiesUsed: increment(stats.strategiesUsed, signal.strategy),
      });
    case 'escalated':
      return Object.freeze({ ...stats, escalations: stats.escalations + 1 });
    case 'recovery_completed': {
      const { result } = signal;
      const totalRecoveries = stats.totalRecoveries + 1;
      const successful = stats.successful + (result.success ? 1 : 0);
      return Object.freeze({
        ...stats,
        totalRecoveries,
        successful,
        failed: totalRecoveries - successful,
        successRate: successful / totalRecoveries,
        averageDurationMs:
          stats.averageDurationMs + (result.durationMs - stats.averageDurationMs) / totalRecoveries,
        byErrorType: increment(stats.byErrorType, result.errorType),
      });
    }
    default:
      return stats;
  }
}
