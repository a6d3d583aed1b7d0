import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import type { Subscription } from 'rxjs';
import { isObject, satisfies, shape, throwIfAny } from '../config/check.js';
import { isRecoveryHub, type RecoveryHub } from './hub.js';
import type { RecoveryMetric } from './metrics.js';

/**
 * Options of {@link bridgeMetricsToOpenTelemetry}.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { createRecoveryHub } from 'rx-recovery';
 * import { bridgeMetricsToOpenTelemetry, type OpenTelemetryBridgeOptions } from 'rx-recovery/otel';
 *
 * const options: OpenTelemetryBridgeOptions = { prefix: 'codegen' };
 * bridgeMetricsToOpenTelemetry(createRecoveryHub(), metrics.getMeter('codegen-service'), options);
 * // → instruments codegen.recovery.duration, codegen.recovery.attempts, …
 * ```
 */
export interface OpenTelemetryBridgeOptions {
  /**
   * Namespace of every instrument name: `<prefix>.recovery.duration` and so on. The
   * attribute names (`rx_recovery.strategy`, …) keep theirs.
   *
   * @default 'rx_recovery'
   */
  prefix?: string | undefined;
}

/** An OpenTelemetry instrument name starts with a letter: letters, digits, `_ . - /`. */
const INSTRUMENT_NAME = /^[A-Za-z][\w.\-/]{0,200}$/;

const bridgeOptions = /* @__PURE__ */ shape({
  prefix: /* @__PURE__ */ satisfies(
    (value) => typeof value === 'string' && INSTRUMENT_NAME.test(value),
    'must be a string that starts with a letter and holds only letters, digits, _ . - / (an OpenTelemetry instrument name)',
  ),
});

/**
 * OpenTelemetry attributes from a metric's tags, named after the semantic conventions:
 * the standard `error.type`, and our own under the `rx_recovery.` namespace. The
 * correlation id is left out on purpose: one value per subscription would make every
 * series unique (unbounded cardinality).
 */
function attributes(tags: RecoveryMetric['tags'], hub: string): Attributes {
  const out: Attributes = { 'rx_recovery.hub': hub };
  if (tags.errorType !== undefined) out['error.type'] = tags.errorType;
  if (tags.strategy !== undefined) out['rx_recovery.strategy'] = tags.strategy;
  if (tags.patternId !== undefined) out['rx_recovery.pattern.id'] = tags.patternId;
  if (tags.nodeName !== undefined) out['rx_recovery.node.name'] = tags.nodeName;
  if (tags.success !== undefined) out['rx_recovery.success'] = tags.success === 'true';
  if (tags.budget !== undefined) out['rx_recovery.budget.name'] = tags.budget;
  if (tags.breaker !== undefined) out['rx_recovery.breaker.name'] = tags.breaker;
  if (tags.from !== undefined) out['rx_recovery.circuit.from'] = tags.from;
  if (tags.to !== undefined) out['rx_recovery.circuit.to'] = tags.to;
  return out;
}

/**
 * Feeds a hub's metrics to OpenTelemetry instruments of `meter`:
 *
 * | instrument | kind | unit | from |
 * |---|---|---|---|
 * | `rx_recovery.recovery.duration` | histogram | `s` | `recovery.duration_ms` |
 * | `rx_recovery.error.analysis.duration` | histogram | `s` | `error.analysis_ms` |
 * | `rx_recovery.recovery.attempts` | counter | `{attempt}` | `recovery.attempts` |
 * | `rx_recovery.error.classified` | counter | `{error}` | `error.classified` |
 * | `rx_recovery.recovery.completed` | counter | `{recovery}` | `recovery.completed` (attribute `rx_recovery.success`: sum it for successes and failures) |
 * | `rx_recovery.recovery.escalations` | counter | `{escalation}` | `recovery.escalations` |
 * | `rx_recovery.retry_budget.exhausted` | counter | `{step}` | `retry_budget.exhausted` |
 * | `rx_recovery.circuit.transitions` | counter | `{transition}` | `circuit.transitions` |
 * | `rx_recovery.recovery.success_rate` | observable gauge | `1` | the hub's statistics |
 *
 * Durations are converted to seconds, as OpenTelemetry's conventions ask. Every instrument
 * carries `rx_recovery.hub` (the hub's `name`), so two hubs bridged to one meter stay
 * apart; the other attributes come from the tags: `error.type`, `rx_recovery.strategy`,
 * `rx_recovery.pattern.id`, `rx_recovery.node.name`, `rx_recovery.success`,
 * `rx_recovery.budget.name`, `rx_recovery.breaker.name`, `rx_recovery.circuit.from|to`.
 *
 * The correlation id is not an attribute: one value per subscription would make every
 * series unique. The success-rate gauge reports nothing before the first recovery ends.
 *
 * In plain words: plug the hub into your OpenTelemetry metrics pipeline.
 *
 * Import it from `rx-recovery/otel`: only that entry point loads `@opentelemetry/api`.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { createRecoveryHub } from 'rx-recovery';
 * import { bridgeMetricsToOpenTelemetry } from 'rx-recovery/otel';
 *
 * const hub = createRecoveryHub();
 * const bridge = bridgeMetricsToOpenTelemetry(hub, metrics.getMeter('codegen-service'));
 * // … pipelines run with withRecovery(patterns, { hub }) …
 * bridge.unsubscribe(); // stops feeding, and removes the gauge's callback
 * ```
 * @param hub The hub whose metrics to export.
 * @param meter An OpenTelemetry `Meter`.
 * @param options See {@link OpenTelemetryBridgeOptions}.
 * @returns The subscription to the hub's metrics; unsubscribe to stop.
 * @throws RecoveryConfigError naming every bad argument: not a hub, not a meter, an unknown
 * option, a `prefix` that is no instrument name.
 * @see createRecoveryHub
 */
export function bridgeMetricsToOpenTelemetry(
  hub: RecoveryHub,
  meter: Meter,
  options: OpenTelemetryBridgeOptions = {},
): Subscription {
  const issues: string[] = [];
  if (!isRecoveryHub(hub)) issues.push('hub: must be a RecoveryHub (createRecoveryHub)');
  if (!isObject(meter) || typeof meter.createCounter !== 'function') {
    issues.push('meter: must be an OpenTelemetry Meter (metrics.getMeter(name))');
  }
  bridgeOptions(options, 'options', issues);
  throwIfAny(issues);
  const prefix = options.prefix ?? 'rx_recovery';
  // Bucket advice in seconds: the SDK's default buckets are made for milliseconds.
  const recoveryDuration = meter.createHistogram(`${prefix}.recovery.duration`, {
    unit: 's',
    description: 'Scheduler time from the first error of a recovery to its end.',
    advice: {
      explicitBucketBoundaries: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    },
  });
  const analysisDuration = meter.createHistogram(`${prefix}.error.analysis.duration`, {
    unit: 's',
    description: 'CPU time spent classifying an error.',
    advice: { explicitBucketBoundaries: [0, 1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2] },
  });
  const attempts = meter.createCounter(`${prefix}.recovery.attempts`, {
    unit: '{attempt}',
    description: 'Recovery steps taken: retries, alternatives, degradations, corrections.',
  });
  const classified = meter.createCounter(`${prefix}.error.classified`, {
    unit: '{error}',
    description: 'Errors classified against the pattern table.',
  });
  const completed = meter.createCounter(`${prefix}.recovery.completed`, {
    unit: '{recovery}',
    description: 'Finished recoveries; rx_recovery.success tells successes from failures.',
  });
  const escalations = meter.createCounter(`${prefix}.recovery.escalations`, {
    unit: '{escalation}',
    description: 'Recoveries escalated to a person.',
  });
  const budgetExhausted = meter.createCounter(`${prefix}.retry_budget.exhausted`, {
    unit: '{step}',
    description: 'Retry and correct steps skipped because the retry budget could not pay.',
  });
  const transitions = meter.createCounter(`${prefix}.circuit.transitions`, {
    unit: '{transition}',
    description: 'Circuit breaker state changes.',
  });
  const successRate = meter.createObservableGauge(`${prefix}.recovery.success_rate`, {
    unit: '1',
    description: 'Fraction of finished recoveries that succeeded.',
  });
  const hubAttributes: Attributes = { 'rx_recovery.hub': hub.name };
  const observeSuccessRate = (result: ObservableResult) => {
    const { totalRecoveries, successRate: rate } = hub.snapshot();
    if (totalRecoveries > 0) result.observe(rate, hubAttributes);
  };
  successRate.addCallback(observeSuccessRate);

  const subscription = hub.metrics.subscribe((metric) => {
    const attrs = attributes(metric.tags, hub.name);
    switch (metric.name) {
      case 'recovery.duration_ms':
        recoveryDuration.record(metric.value / 1000, attrs);
        break;
      case 'error.analysis_ms':
        analysisDuration.record(metric.value / 1000, attrs);
        break;
      case 'recovery.attempts':
        attempts.add(metric.value, attrs);
        break;
      case 'error.classified':
        classified.add(metric.value, attrs);
        break;
      case 'recovery.completed':
        completed.add(metric.value, attrs);
        break;
      case 'recovery.escalations':
        escalations.add(metric.value, attrs);
        break;
      case 'retry_budget.exhausted':
        budgetExhausted.add(metric.value, attrs);
        break;
      case 'circuit.transitions':
        transitions.add(metric.value, attrs);
        break;
      case 'recovery.success_rate':
        break; // observed from the hub's statistics, once per collection
      default: {
        const unhandled: never = metric.name;
        return unhandled;
      }
    }
  });
  subscription.add(() => successRate.removeCallback(observeSuccessRate));
  return subscription;
}
