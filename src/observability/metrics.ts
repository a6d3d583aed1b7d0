import type { RecoverySignal } from './signals.js';

/** One measurement for a monitoring system, derived from a signal. Frozen. */
export interface RecoveryMetric {
  readonly kind: 'timing' | 'counter' | 'gauge';
  /** `recovery.duration_ms`, `recovery.attempts`, `recovery.success_rate`, `error.analysis_ms`, `error.classified`. */
  readonly name: string;
  readonly value: number;
  /** `strategy`, `errorType`, `patternId`, `nodeName` (and `success` on durations). */
  readonly tags: Readonly<Record<string, string>>;
  readonly correlationId: string;
  /** Scheduler time of the signal it came from. */
  readonly at: number;
}

type Tags = Record<string, string | undefined>;

function metric(
  kind: RecoveryMetric['kind'],
  name: string,
  value: number,
  signal: RecoverySignal,
  tags: Tags,
): RecoveryMetric {
  const clean: Record<string, string> = {};
  for (const [key, tag] of Object.entries({ ...tags, nodeName: signal.nodeName })) {
    if (tag !== undefined) clean[key] = tag;
  }
  return Object.freeze({
    kind,
    name,
    value,
    tags: Object.freeze(clean),
    correlationId: signal.correlationId,
    at: signal.at,
  });
}

/**
 * The metrics a signal stands for. `successRate` is the rate after this signal, for the
 * `recovery.success_rate` gauge (the hub's, or one subscription's without a hub).
 */
export function metricsOf(signal: RecoverySignal, successRate: number): RecoveryMetric[] {
  switch (signal.type) {
    case 'error_detected': {
      const { classification } = signal;
      const tags = {
        errorType: classification.errorType,
        patternId: classification.pattern?.id,
        strategy: classification.plan[0] ?? 'none',
      };
      return [
        metric('counter', 'error.classified', 1, signal, tags),
        metric('timing', 'error.analysis_ms', signal.analysisMs, signal, tags),
      ];
    }
    case 'recovery_attempt':
      return [
        metric('counter', 'recovery.attempts', 1, signal, {
          strategy: signal.strategy,
          errorType: signal.errorType,
          patternId: signal.patternId,
        }),
      ];
    case 'recovery_completed': {
      const { result } = signal;
      const tags = {
        strategy: result.strategyUsed,
        errorType: result.errorType,
        patternId: result.patternId,
      };
      return [
        metric('timing', 'recovery.duration_ms', result.durationMs, signal, {
          ...tags,
          success: String(result.success),
        }),
        metric('gauge', 'recovery.success_rate', successRate, signal, tags),
      ];
    }
    default:
      return [];
  }
}
