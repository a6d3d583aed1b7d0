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

/** The signals no metric stands for. */
type Unmeasured = 'observer_error' | 'escalation_resolved' | 'store_degraded' | 'store_recovered';

/** Where most tags come from: a signal, its result or its escalation record. */
interface TagSource {
  readonly strategy?: string | undefined;
  readonly errorType?: string | undefined;
  readonly patternId?: string | undefined;
}

/** The `strategy`, `errorType` and `patternId` tags of `source`, after `first`. */
const tagsOf = ({ errorType, patternId }: TagSource, strategy?: string, first?: Tags): Tags => ({
  ...first,
  strategy,
  errorType,
  patternId,
});

/**
 * The metrics a signal stands for. `successRate` is the rate after this signal, for the
 * `recovery.success_rate` gauge (the hub's, or one subscription's without a hub).
 */
export function metricsOf(signal: RecoverySignal, successRate: number): RecoveryMetric[] {
  /** One metric of `signal`: its tags, less those without a value, plus its `nodeName`. */
  const metric = (
    name: RecoveryMetricName,
    tags: Tags,
    value = 1,
    kind: RecoveryMetric['kind'] = 'counter',
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
  switch (signal.type) {
    case 'error_detected': {
      const { errorType, pattern, plan } = signal.classification;
      const tags = tagsOf({ errorType, patternId: pattern?.id }, plan[0] ?? 'none');
      return [
        metric('error.classified', tags),
        metric('error.analysis_ms', tags, signal.analysisMs, 'timing'),
      ];
    }
    case 'recovery_attempt':
      return [metric('recovery.attempts', tagsOf(signal, signal.strategy))];
    case 'recovery_completed': {
      const { result } = signal;
      const tags = tagsOf(result, result.strategyUsed);
      const outcome = { ...tags, success: String(result.success) };
      return [
        metric('recovery.duration_ms', outcome, result.durationMs, 'timing'),
        metric('recovery.success_rate', tags, successRate, 'gauge'),
        metric('recovery.completed', outcome),
      ];
    }
    case 'escalated':
      return [metric('recovery.escalations', tagsOf(signal.record))];
    case 'retry_budget_exhausted':
      return [
        metric(
          'retry_budget.exhausted',
          tagsOf(signal, signal.strategy, { budget: signal.budgetName }),
        ),
      ];
    case 'circuit_state_changed':
      return [
        metric('circuit.transitions', {
          breaker: signal.breakerName,
          from: signal.from,
          to: signal.to,
        }),
      ];
    default:
      // Checked by the compiler: every other signal type is one no metric stands for.
      signal satisfies { readonly type: Unmeasured };
      return [];
  }
}
