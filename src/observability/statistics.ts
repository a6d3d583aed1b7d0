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

/** The running statistics of one hub; see {@link createStatistics}. */
export interface StatisticsAccumulator {
  /** Folds one signal in; returns whether the statistics changed. */
  add(signal: RecoverySignal): boolean;
  /** `successful / totalRecoveries`; 0 before the first recovery. */
  rate(): number;
  /** The statistics now, frozen; the same object until the next change. */
  snapshot(): RecoveryStatistics;
}

/**
 * Running statistics: each signal is an O(1) update of a few counters (the count maps are
 * bounded by the strategies and error types), and the frozen {@link RecoveryStatistics}
 * is built only when somebody reads it, then reused until the next change.
 */
export function createStatistics(): StatisticsAccumulator {
  let total = 0;
  let successful = 0;
  let durationSum = 0;
  let escalations = 0;
  /** Steps a retry budget could not pay for. */
  let skipped = 0;
  const strategies: Record<string, number> = {};
  const steps: Record<string, number> = {};
  const errorTypes: Record<string, number> = {};
  let cached: RecoveryStatistics | null = null;
  const count = (counts: Record<string, number>, key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  // `total &&`: 0 before the first recovery.
  const rate = () => total && successful / total;
  const freeze = Object.freeze;
  return {
    add(signal) {
      const { type } = signal;
      if (type === 'recovery_attempt') count(steps, signal.strategy);
      else if (type === 'escalated') escalations++;
      else if (type === 'retry_budget_exhausted') skipped++;
      else if (type === 'recovery_completed') {
        const { success, durationMs, errorType, strategyUsed } = signal.result;
        count(strategies, strategyUsed);
        count(errorTypes, errorType);
        total++;
        if (success) successful++;
        durationSum += durationMs;
      } else return false;
      cached = null;
      return true;
    },
    rate,
    snapshot: () =>
      (cached ??= freeze({
        totalRecoveries: total,
        successful,
        failed: total - successful,
        successRate: rate(),
        averageDurationMs: total && durationSum / total,
        strategiesUsed: freeze({ ...strategies }),
        stepsByStrategy: freeze({ ...steps }),
        byErrorType: freeze({ ...errorTypes }),
        escalations,
        retryBudgetExhausted: skipped,
      })),
  };
}
