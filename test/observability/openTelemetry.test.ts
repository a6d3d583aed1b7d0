import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { defer, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecoveryHub, withRecovery } from '../../src/index.js';
import { hubListening } from '../../src/observability/hub.js';
import { bridgeMetricsToOpenTelemetry } from '../../src/otel.js';
import { issuesOf } from '../helpers/capture.js';
import { timeoutError, validationError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.shutdown()));
});

/** A real SDK pipeline: a meter whose points land in an in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The export interval is irrelevant: collect() below flushes on demand.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  const collect = async (): Promise<Map<string, MetricData>> => {
    await reader.forceFlush();
    const exported = exporter.getMetrics().at(-1);
    const metrics = exported?.scopeMetrics.flatMap((scope) => scope.metrics) ?? [];
    return new Map(metrics.map((metric) => [metric.descriptor.name, metric]));
  };
  return { meter: provider.getMeter('rx-recovery-test'), collect };
}

describe('bridgeMetricsToOpenTelemetry', () => {
  it('records durations, attempts, classifications and the success rate on real instruments', async () => {
    const { meter, collect } = sdk();
    const hub = createRecoveryHub({ name: 'svc' });
    const bridge = bridgeMetricsToOpenTelemetry(hub, meter);
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const flaky = defer(() => (n++ < 2 ? cold('-#', undefined, timeoutError) : cold('a|')));
      const recovered = flaky.pipe(
        withRecovery(undefined, {
          hub,
          clock: () => 0,
          retry: { baseDelayMs: 500 },
          context: { nodeName: 'generate' },
        }),
      );
      expectObservable(recovered).toBe('- 500ms - 1000ms a|');
      const escalated = cold('-#', undefined, validationError).pipe(
        withRecovery(undefined, { hub, clock: () => 0, context: { nodeName: 'validate' } }),
      );
      expectObservable(escalated).toBe('-#', undefined, expect.objectContaining({ name: 'Error' }));
    });
    const metrics = await collect();
    expect([...metrics.keys()].sort()).toEqual([
      'rx_recovery.error.analysis.duration',
      'rx_recovery.error.classified',
      'rx_recovery.recovery.attempts',
      'rx_recovery.recovery.completed',
      'rx_recovery.recovery.duration',
      'rx_recovery.recovery.success_rate',
    ]);

    const duration = metrics.get('rx_recovery.recovery.duration');
    expect(duration?.descriptor.unit).toBe('s');
    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const durationPoints = (duration?.dataPoints ?? [])
      .map((point) => ({
        attributes: point.attributes,
        value: point.value as { count: number; sum?: number },
      }))
      .sort((a, b) =>
        String(a.attributes['error.type']).localeCompare(String(b.attributes['error.type'])),
      );
    expect(durationPoints).toEqual([
      {
        attributes: {
          'rx_recovery.hub': 'svc',
          'error.type': 'timeout',
          'rx_recovery.strategy': 'retry',
          'rx_recovery.pattern.id': 'operation_timeout',
          'rx_recovery.node.name': 'generate',
          'rx_recovery.success': true,
        },
        value: expect.objectContaining({
          count: 1,
          sum: 1.501,
          buckets: expect.objectContaining({
            boundaries: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
          }),
        }),
      },
      {
        attributes: {
          'rx_recovery.hub': 'svc',
          'error.type': 'validation',
          'rx_recovery.strategy': 'none',
          'rx_recovery.pattern.id': 'validation_failed',
          'rx_recovery.node.name': 'validate',
          'rx_recovery.success': false,
        },
        value: expect.objectContaining({ count: 1, sum: 0 }),
      },
    ]);

    const attempts = metrics.get('rx_recovery.recovery.attempts');
    expect(attempts?.descriptor.unit).toBe('{attempt}');
    expect(attempts?.dataPoints.map((point) => point.value)).toEqual([2]);
    const classified = metrics.get('rx_recovery.error.classified');
    expect(classified?.dataPoints.map((p) => [p.attributes['error.type'], p.value]).sort()).toEqual(
      [
        ['timeout', 2],
        ['validation', 1],
      ],
    );
    const rate = metrics.get('rx_recovery.recovery.success_rate');
    expect(rate?.dataPointType).toBe(DataPointType.GAUGE);
    expect(rate?.dataPoints.map((point) => [point.attributes, point.value])).toEqual([
      [{ 'rx_recovery.hub': 'svc' }, 0.5],
    ]);
    const completed = metrics.get('rx_recovery.recovery.completed');
    expect(completed?.dataPointType).toBe(DataPointType.SUM);
    expect(
      completed?.dataPoints.map((p) => [p.attributes['rx_recovery.success'], p.value]).sort(),
    ).toEqual([
      [false, 1],
      [true, 1],
    ]);
    bridge.unsubscribe();
  });

  it('keeps two hubs bridged to one meter apart, and counts escalations', async () => {
    const { meter, collect } = sdk();
    const first = createRecoveryHub({ name: 'first' });
    const second = createRecoveryHub({ name: 'second' });
    const bridges = [first, second].map((hub) => bridgeMetricsToOpenTelemetry(hub, meter));
    const escalate = (hub: typeof first) =>
      throwError(() => timeoutError)
        .pipe(withRecovery(undefined, { hub, maxAttempts: 0 }))
        .subscribe({ error: () => {} });
    escalate(first);
    escalate(second);
    escalate(second);
    const metrics = await collect();
    const byHub = (name: string) =>
      metrics
        .get(name)
        ?.dataPoints.map((p) => [p.attributes['rx_recovery.hub'], p.value])
        .sort();
    expect(byHub('rx_recovery.recovery.escalations')).toEqual([
      ['first', 1],
      ['second', 2],
    ]);
    expect(byHub('rx_recovery.recovery.success_rate')).toEqual([
      ['first', 0],
      ['second', 0],
    ]);
    for (const bridge of bridges) bridge.unsubscribe();
  });

  it('stops feeding the meter once unsubscribed', async () => {
    const { meter, collect } = sdk();
    const hub = createRecoveryHub();
    const bridge = bridgeMetricsToOpenTelemetry(hub, meter, { prefix: 'codegen' });
    const recover = () =>
      throwError(() => validationError)
        .pipe(
          withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 0 }] } }),
        )
        .subscribe();
    recover();
    bridge.unsubscribe();
    recover();
    expect(hubListening(hub)).toBe(false);
    const metrics = await collect();
    expect(metrics.get('codegen.recovery.attempts')?.dataPoints.map((p) => p.value)).toEqual([1]);
    expect(metrics.get('codegen.recovery.success_rate')?.dataPoints ?? []).toEqual([]);
    expect(hub.snapshot().totalRecoveries).toBe(2);
  });

  it('refuses what is not a hub, a meter or an option, naming each, before creating any instrument', () => {
    const { meter } = sdk();
    const issues = (run: () => unknown) =>
      issuesOf(() => (run() as { unsubscribe(): void }).unsubscribe());
    expect(
      issues(() =>
        bridgeMetricsToOpenTelemetry({} as never, {} as never, { prefx: 'svc' } as never),
      ),
    ).toEqual([
      'hub: must be a RecoveryHub (createRecoveryHub)',
      'meter: must be an OpenTelemetry Meter (metrics.getMeter(name))',
      'options.prefx: unknown option',
    ]);
    const bad =
      'must be a string that starts with a letter and holds only letters, digits, _ . - / (an OpenTelemetry instrument name)';
    expect(
      issues(() =>
        bridgeMetricsToOpenTelemetry(createRecoveryHub(), meter, { prefix: 42 as never }),
      ),
    ).toEqual([`options.prefix: ${bad}`]);
    expect(
      issues(() => bridgeMetricsToOpenTelemetry(createRecoveryHub(), meter, { prefix: '9 lives' })),
    ).toEqual([`options.prefix: ${bad}`]);
    expect(
      issues(() =>
        bridgeMetricsToOpenTelemetry(createRecoveryHub(), meter, { prefix: 'codegen.svc' }),
      ),
    ).toEqual([]);
  });
});
