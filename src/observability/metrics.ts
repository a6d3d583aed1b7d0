import type { RecoverySignal } from './signals.js';

/**
 * One measurement for a monitoring system, derived from a signal. Frozen.
 *
 * In plain words: the signals, as numbers a StatsD, Prometheus or OpenTelemetry backend
 * understands.
 *
 * | name | kind | value | from |
 * |---|---|---|---|
 * | `error.classified` | counter | 1 | `error_detected`; `strategy` is the plan's first step (`'none'` for an empty plan) |
 * | `error.analysis_ms` | timing | classification time, from the high-resolution `clock` | `error_detected` |
 * | `recovery.attempts` | counter | 1 | `recovery_attempt` |
 * | `recovery.duration_ms` | timing | the result's `durationMs`, tagged `success: 'true' \| 'false'` | `recovery_completed` |
 * | `recovery.success_rate` | gauge | the hub's rate (or the subscription's, with `metrics` and no hub) | `recovery_completed` |
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type RecoveryMetric } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * hub.metrics.subscribe((metric: RecoveryMetric) => {
 *   const { kind, name, value, tags } = metric;
 *   if (kind === 'counter') statsd.increment(name, value, tags);
 *   else if (kind === 'timing') statsd.timing(name, value, tags);
 *   else statsd.gauge(name, value, tags);
 * });
 * // A successful retry of a timeout yields, among others:
 * // → { kind: 'timing', name: 'recovery.duration_ms', value: 1000,
 * //     tags: { strategy: 'retry', errorType: 'timeout', patternId: 'operation_timeout',
 * //             success: 'true' },
 * //     correlationId: '…', at: 1717000001000 }
 * ```
 */
export interface RecoveryMetric {
  /** How to aggregate `value`: a duration, a count to add, or a level to overwrite. */
  readonly kind: 'timing' | 'counter' | 'gauge';
  /** `recovery.duration_ms`, `recovery.attempts`, `recovery.success_rate`, `error.analysis_ms`, `error.classified`. */
  readonly name: string;
  /** Milliseconds for a timing, 1 for a counter, a rate in [0, 1] for the gauge. */
  readonly value: number;
  /**
   * `strategy`, `errorType`, `patternId`, `nodeName` (and `success` on durations); a tag
   * with no value (no pattern matched, no `nodeName` given) is left out.
   */
  readonly tags: Readonly<Record<string, string>>;
  /** The subscription the signal came from. Not a tag: it would make every series unique. */
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
