import type { RecoverySignal } from './signals.js';

/**
 * The names of {@link RecoveryMetric}s: a closed set, so a consumer can `switch` over it
 * exhaustively.
 *
 * @example
 * ```ts
 * import type { RecoveryMetricName } from 'rx-recovery';
 *
 * const counters: RecoveryMetricName[] = ['error.classified', 'recovery.attempts', 'recovery.completed'];
 * ```
 */
export type RecoveryMetricName =
  | 'error.classified'
  | 'error.analysis_ms'
  | 'recovery.attempts'
  | 'recovery.duration_ms'
  | 'recovery.success_rate'
  | 'recovery.completed'
  | 'recovery.escalations'
  | 'retry_budget.exhausted'
  | 'circuit.transitions';

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
 * | `recovery.completed` | counter | 1, tagged `success: 'true' \| 'false'` | `recovery_completed` |
 * | `recovery.escalations` | counter | 1 | `escalated` |
 * | `retry_budget.exhausted` | counter | 1, tagged `budget`, `strategy` | `retry_budget_exhausted` |
 * | `circuit.transitions` | counter | 1, tagged `breaker`, `from`, `to` | `circuit_state_changed` |
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
  /** One of {@link RecoveryMetricName}; see the table above. */
  readonly name: RecoveryMetricName;
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

/**
 * The metrics a signal stands for. `successRate` is the rate after this signal, for the
 * `recovery.success_rate` gauge (the hub's, or one subscription's without a hub).
 */
export function metricsOf(signal: RecoverySignal, successRate: number): RecoveryMetric[] {
  /** One metric of `signal`: its tags, less those without a value, plus its `nodeName`. */
  const metric = (
    kind: RecoveryMetric['kind'],
    name: RecoveryMetricName,
    value: number,
    tags: Tags,
  ): RecoveryMetric => {
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
  };
  const count = (name: RecoveryMetricName, tags: Tags) => [metric('counter', name, 1, tags)];
  switch (signal.type) {
    case 'error_detected': {
      const { classification } = signal;
      const tags = {
        errorType: classification.errorType,
        patternId: classification.pattern?.id,
        strategy: classification.plan[0] ?? 'none',
      };
      return [
        ...count('error.classified', tags),
        metric('timing', 'error.analysis_ms', signal.analysisMs, tags),
      ];
    }
    case 'recovery_attempt':
      return count('recovery.attempts', {
        strategy: signal.strategy,
        errorType: signal.errorType,
        patternId: signal.patternId,
      });
    case 'recovery_completed': {
      const { result } = signal;
      const tags = {
        strategy: result.strategyUsed,
        errorType: result.errorType,
        patternId: result.patternId,
      };
      const outcome = { ...tags, success: String(result.success) };
      return [
        metric('timing', 'recovery.duration_ms', result.durationMs, outcome),
        metric('gauge', 'recovery.success_rate', successRate, tags),
        ...count('recovery.completed', outcome),
      ];
    }
    case 'escalated':
      return count('recovery.escalations', {
        errorType: signal.record.errorType,
        patternId: signal.record.patternId,
      });
    case 'retry_budget_exhausted':
      return count('retry_budget.exhausted', {
        budget: signal.budgetName,
        strategy: signal.strategy,
        errorType: signal.errorType,
        patternId: signal.patternId,
      });
    case 'circuit_state_changed':
      return count('circuit.transitions', {
        breaker: signal.breakerName,
        from: signal.from,
        to: signal.to,
      });
    case 'observer_error':
    case 'escalation_resolved':
    case 'store_degraded':
    case 'store_recovered':
      return [];
  }
}
