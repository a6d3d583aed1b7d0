import { describe, expect, it } from 'vitest';
import { checkSoak, runSoak } from '../../bench/soak.js';

/**
 * The soak of `npm run soak` at 10,000 errors: the counts only. Heap figures belong to the
 * soak itself (a forced GC in a process of its own), never to a unit test.
 */
describe('soak, 10,000 errors', () => {
  it('recovers every error through one shared hub, with every count as the scenario implies', () => {
    let checkpoints = 0;
    const report = runSoak({
      errors: 10_000,
      checkpoint: { after: 1_000, run: () => checkpoints++ },
    });
    expect(checkpoints).toBe(1);
    expect(checkSoak(report)).toEqual([]);
    // 2,000 pipelines of five errors; every tenth escalates after its one alternative fails.
    expect(report.pipelines).toBe(2_000);
    expect(report.signals).toEqual({
      error_detected: 10_000,
      recovery_attempt: 6_000 + 3_600 + 200,
      recovery_completed: 2_000,
      escalated: 200,
    });
    expect({ ...report.statistics, averageDurationMs: 0 }).toEqual({
      totalRecoveries: 2_000,
      successful: 1_800,
      failed: 200,
      successRate: 0.9,
      averageDurationMs: 0,
      strategiesUsed: { alternative: 1_800, escalate: 200 },
      stepsByStrategy: { retry: 6_000, alternative: 3_800 },
      byErrorType: { timeout: 2_000 }, // each recovery started with a timeout
      escalations: 200,
      retryBudgetExhausted: 0,
    });
    expect(report.statistics.averageDurationMs).toBeGreaterThanOrEqual(0);
    expect(report).toMatchObject({ values: 1_800, completed: 1_800, escalationErrors: 200 });
    // error.classified and error.analysis_ms per error, recovery.attempts per step,
    // duration, success rate and completed per recovery, and one per escalation.
    expect(report.metrics).toBe(2 * 10_000 + 9_800 + 3 * 2_000 + 200);
  });

  it('refuses an error count the scenario cannot make', () => {
    expect(() => runSoak({ errors: 7 })).toThrow(RangeError);
    expect(() => runSoak({ errors: 0 })).toThrow(RangeError);
  });
});
