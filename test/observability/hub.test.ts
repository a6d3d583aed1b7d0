import {
  config,
  defer,
  filter,
  firstValueFrom,
  map,
  Observable,
  of,
  Subject,
  throwError,
} from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  asyncSignals,
  createRecoveryHub,
  type ObserverErrorSignal,
  type RecoveryMetric,
  type RecoverySignal,
  type RecoveryStatistics,
  withRecovery,
} from '../../src/index.js';
import { hubListening } from '../../src/observability/hub.js';
import { quorumError, timeoutError, validationError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

const escalation = expect.objectContaining({ name: 'EscalationError' });

describe('createRecoveryHub', () => {
  it('reports a consumer at the end of a pipe that throws, which never reaches RxJS unhandled-error path', () => {
    vi.useFakeTimers(); // RxJS reports an unhandled error from a timer
    const unhandled: unknown[] = [];
    config.onUnhandledError = (error) => unhandled.push(error);
    try {
      const hub = createRecoveryHub();
      const reports: RecoverySignal[] = [];
      hub.signals.subscribe((signal) => {
        if (signal.type === 'observer_error') reports.push(signal);
      });
      hub.signals
        .pipe(
          filter((signal) => signal.type === 'recovery_completed'),
          map((signal) => signal.type),
        )
        .subscribe(() => {
          throw new Error('tickets down');
        });
      const values: number[] = [];
      throwError(() => validationError)
        .pipe(
          withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 0 }] } }),
        )
        .subscribe((value) => values.push(value));
      vi.runAllTimers();
      expect(unhandled).toEqual([]);
      expect(values).toEqual([0]); // the pipeline it observes goes on
      expect(reports).toMatchObject([
        { type: 'observer_error', source: 'signals', error: { message: 'tickets down' } },
      ]);
    } finally {
      config.onUnhandledError = null;
      vi.useRealTimers();
    }
  });

  it("gives a metrics observer the hub's success rate when a hub is given, as the hub's metrics do", () => {
    const hub = createRecoveryHub();
    const fromHub: number[] = [];
    hub.metrics.subscribe((metric) => {
      if (metric.name === 'recovery.success_rate') fromHub.push(metric.value);
    });
    const observed: RecoveryMetric[] = [];
    const operator = withRecovery(
      [{ id: 'p', errorType: 'transient', match: /x/, strategy: 'retry', maxRetries: 1 }],
      { hub, metrics: { next: (metric) => observed.push(metric) }, retry: { baseDelayMs: 0 } },
    );
    // One subscription's recovery fails, another's succeeds: the hub's rate is 0.5.
    throwError(() => new Error('x'))
      .pipe(operator)
      .subscribe({ error: () => {} });
    let calls = 0;
    defer(() => (calls++ === 0 ? throwError(() => new Error('x')) : of(1)))
      .pipe(operator)
      .subscribe();
    expect(hub.snapshot().successRate).toBe(0.5);
    expect(fromHub).toEqual([0, 0.5]);
    expect(observed.filter((m) => m.name === 'recovery.success_rate').map((m) => m.value)).toEqual([
      0, 0.5,
    ]);
  });

  it('names hubs apart across two copies of the package (ESM beside CJS)', async () => {
    vi.resetModules();
    const one = (await import(
      '../../src/index.js?copy-one' as string
    )) as typeof import('../../src/index.js');
    vi.resetModules();
    const two = (await import(
      '../../src/index.js?copy-two' as string
    )) as typeof import('../../src/index.js');
    const names = [
      one.createRecoveryHub().name,
      two.createRecoveryHub().name,
      one.createRecoveryHub().name,
    ];
    expect(new Set(names).size).toBe(3);
    expect(names.every((name) => /^hub-\d+$/.test(name))).toBe(true);
  });

  it('isolates a throwing subscriber in the middle of a marble test', () => {
    const hub = createRecoveryHub();
    const first: string[] = [];
    const last: string[] = [];
    hub.signals.subscribe((signal) => first.push(signal.type));
    hub.signals.subscribe((signal) => {
      if (signal.type === 'recovery_attempt') throw new Error('consumer bug');
    });
    hub.signals.subscribe((signal) => last.push(signal.type));
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', undefined, timeoutError);
      const result = source.pipe(
        withRecovery(undefined, { hub, retry: { baseDelayMs: 1 }, maxAttempts: 1 }),
      );
      expectObservable(result).toBe('-a---a-#', undefined, escalation);
      expectSubscriptions(source.subscriptions).toBe(['^--!', '----^--!']);
    });
    const expected = [
      'error_detected',
      'recovery_attempt',
      'observer_error', // reported after the signal it interrupted, to everybody
      'recovery_completed',
      'error_detected',
      'escalated',
      'recovery_completed',
    ];
    expect(first).toEqual(expected);
    expect(last).toEqual(expected);
  });

  it('hands out Observables only, which piped consumers and firstValueFrom read too', async () => {
    const hub = createRecoveryHub();
    for (const stream of [hub.signals, hub.metrics, hub.statistics$, hub.escalations$]) {
      expect(stream).toBeInstanceOf(Observable);
      // Nothing to publish, fail or end the stream with, for the other consumers.
      expect(['next', 'error', 'complete'].filter((key) => key in stream)).toEqual([]);
    }
    const piped: string[] = [];
    hub.signals.pipe(map((signal) => signal.type)).subscribe((type) => piped.push(type));
    const first = firstValueFrom(hub.signals);
    throwError(() => validationError)
      .pipe(withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 0 }] } }))
      .subscribe();
    expect(piped).toEqual(['error_detected', 'recovery_attempt', 'recovery_completed']);
    expect((await first).type).toBe('error_detected');
    expect(await firstValueFrom(hub.statistics$)).toMatchObject({ totalRecoveries: 1 });
  });

  it('reports the throw once, even when the consumer throws on the report too', () => {
    const hub = createRecoveryHub();
    const seen: string[] = [];
    hub.signals.subscribe(() => {
      throw new Error('always');
    });
    hub.signals.subscribe((signal) => seen.push(signal.type));
    throwError(() => validationError)
      .pipe(withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 0 }] } }))
      .subscribe();
    expect(seen).toEqual([
      'error_detected',
      'observer_error',
      'recovery_attempt',
      'observer_error',
      'recovery_completed',
      'observer_error',
    ]);
  });

  it('isolates throwing metrics and statistics subscribers', () => {
    const hub = createRecoveryHub();
    const sources: string[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'observer_error') sources.push(signal.source);
    });
    hub.metrics.subscribe(() => {
      throw new Error('metrics sink down');
    });
    hub.statistics$.subscribe((stats) => {
      if (stats.totalRecoveries > 0) throw new Error('dashboard bug');
    });
    const values: number[] = [];
    throwError(() => validationError)
      .pipe(withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 7 }] } }))
      .subscribe((value) => values.push(value));
    expect(values).toEqual([7]);
    expect(sources).toEqual([
      ...Array<string>(6).fill('metrics'), // one per metric: classified, analysis, attempt, duration, rate, completed
      'statistics',
    ]);
  });

  it('aggregates statistics over many pipelines, current value first to late subscribers', () => {
    const hub = createRecoveryHub();
    testScheduler().run(({ cold, expectObservable }) => {
      const flaky = cold('-#', undefined, timeoutError);
      const healthy = cold('-a|');
      let n = 0;
      const retried = defer(() => (n++ === 0 ? flaky : healthy)).pipe(
        withRecovery(undefined, { hub }),
      );
      const degraded = cold('--#', undefined, validationError).pipe(
        withRecovery<string>(undefined, {
          hub,
          degradation: { levels: [{ name: 'stub', value: 's' }] },
        }),
      );
      const escalated = cold('---#', undefined, timeoutError).pipe(
        withRecovery(undefined, { hub, maxAttempts: 0 }),
      );
      expectObservable(retried).toBe('- 1000ms -a|');
      expectObservable(degraded).toBe('--(s|)');
      expectObservable(escalated).toBe('---#', undefined, escalation);
    });
    const late: RecoveryStatistics[] = [];
    hub.statistics$.subscribe((stats) => late.push(stats));
    expect(late).toEqual([
      {
        totalRecoveries: 3,
        successful: 2,
        failed: 1,
        successRate: 2 / 3,
        averageDurationMs: (1001 + 0 + 0) / 3,
        strategiesUsed: { retry: 1, degrade: 1, escalate: 1 },
        stepsByStrategy: { retry: 1, degrade: 1 },
        byErrorType: { timeout: 2, validation: 1 },
        escalations: 1,
        retryBudgetExhausted: 0,
      },
    ]);
    expect(hub.snapshot()).toBe(late[0]);
  });

  it('derives tagged metrics from the signals', () => {
    const hub = createRecoveryHub();
    const metrics: RecoveryMetric[] = [];
    hub.metrics.subscribe((metric) => metrics.push(metric));
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, timeoutError);
      const healthy = cold('a|');
      let n = 0;
      const result = defer(() => (n++ === 0 ? source : healthy)).pipe(
        withRecovery(undefined, {
          hub,
          clock: () => 0,
          context: { correlationId: 'c', nodeName: 'review' },
          retry: { baseDelayMs: 10 },
        }),
      );
      expectObservable(result).toBe('- 10ms a|');
    });
    const tags = { errorType: 'timeout', patternId: 'operation_timeout', nodeName: 'review' };
    expect(metrics).toEqual([
      {
        kind: 'counter',
        name: 'error.classified',
        value: 1,
        tags: { ...tags, strategy: 'retry' },
        correlationId: 'c',
        at: 1,
      },
      {
        kind: 'timing',
        name: 'error.analysis_ms',
        value: 0,
        tags: { ...tags, strategy: 'retry' },
        correlationId: 'c',
        at: 1,
      },
      {
        kind: 'counter',
        name: 'recovery.attempts',
        value: 1,
        tags: { ...tags, strategy: 'retry' },
        correlationId: 'c',
        at: 1,
      },
      {
        kind: 'timing',
        name: 'recovery.duration_ms',
        value: 10,
        tags: { ...tags, strategy: 'retry', success: 'true' },
        correlationId: 'c',
        at: 11,
      },
      {
        kind: 'gauge',
        name: 'recovery.success_rate',
        value: 1,
        tags: { ...tags, strategy: 'retry' },
        correlationId: 'c',
        at: 11,
      },
      {
        kind: 'counter',
        name: 'recovery.completed',
        value: 1,
        tags: { ...tags, strategy: 'retry', success: 'true' },
        correlationId: 'c',
        at: 11,
      },
    ]);
  });

  it('feeds a metrics observer without a hub, with a per-subscription success rate', () => {
    const names: string[] = [];
    testScheduler().run(() => {
      throwError(() => validationError)
        .pipe(
          withRecovery(undefined, {
            metrics: { next: (metric) => names.push(`${metric.name}=${metric.value}`) },
            clock: () => 0,
            degradation: { levels: [{ name: 'stub', value: 1 }] },
          }),
        )
        .subscribe();
    });
    expect(names).toEqual([
      'error.classified=1',
      'error.analysis_ms=0',
      'recovery.attempts=1',
      'recovery.duration_ms=0',
      'recovery.success_rate=1',
      'recovery.completed=1',
    ]);
  });

  it('reads classification time from the injected high-resolution clock', () => {
    const hub = createRecoveryHub();
    const analysis: number[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'error_detected') analysis.push(signal.analysisMs);
    });
    let now = 100;
    throwError(() => timeoutError)
      .pipe(withRecovery(undefined, { hub, maxAttempts: 0, clock: () => (now += 0.25) }))
      .subscribe({ error: () => {} });
    expect(analysis).toEqual([0.25]);
  });

  it('yields the signals to a for await loop (rxjs-for-await)', async () => {
    const hub = createRecoveryHub();
    const types: string[] = [];
    const loop = (async () => {
      for await (const signal of asyncSignals(hub)) {
        types.push(signal.type);
        if (signal.type === 'recovery_completed') break;
      }
    })();
    let n = 0;
    defer(() => (n++ === 0 ? throwError(() => timeoutError) : of('ok')))
      .pipe(withRecovery(undefined, { hub, retry: { baseDelayMs: 0 } }))
      .subscribe();
    await loop;
    expect(types).toEqual(['error_detected', 'recovery_attempt', 'recovery_completed']);
    expect(hubListening(hub)).toBe(false); // leaving the loop unsubscribed
  });

  // DESIGN: a consumer of a side-effect stream that throws "is reported as `observer_error`
  // on the hub's `signals`", also when no signal is being delivered.
  it('a throwing escalations$ subscriber is reported as observer_error', () => {
    const hub = createRecoveryHub();
    const signals: RecoverySignal[] = [];
    hub.signals.subscribe((signal) => signals.push(signal));
    hub.escalations$.subscribe((waiting) => {
      if (waiting.length) throw new Error('dashboard down');
    });
    const source = new Subject<string>();
    const subscription = source
      .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
      .subscribe({ error: () => {} });
    source.error(quorumError);
    expect(signals.filter((s) => s.type === 'observer_error')).toHaveLength(1);
    subscription.unsubscribe();
  });

  it('reports an escalations$ throw about the record listed or withdrawn, at its stream time', () => {
    const hub = createRecoveryHub();
    const reports: ObserverErrorSignal[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'observer_error') reports.push(signal);
    });
    const thrown = new Error('dashboard down');
    hub.escalations$.subscribe(() => {
      throw thrown;
    });
    expect(reports).toHaveLength(1); // its current value, at subscribe time: see below
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, quorumError).pipe(
        withRecovery<string>(undefined, {
          hub,
          maxAttempts: 0,
          context: { workflowId: 'w1', correlationId: 'c1' },
          escalation: { await: true },
        }),
      );
      cold('7ms r').subscribe(() => {
        hub.resolveEscalation(hub.pendingEscalations()[0]?.id ?? '', { action: 'complete' });
      });
      expectObservable(result).toBe('7ms |');
    });
    const [, listed, withdrawn] = reports;
    for (const [report, at] of [
      [listed, 1],
      [withdrawn, 7],
    ] as const) {
      expect(report).toMatchObject({
        type: 'observer_error',
        source: 'escalations',
        error: thrown,
        at,
        correlationId: 'c1',
        workflowId: 'w1',
        record: { context: { correlationId: 'c1' }, pending: true },
      });
    }
    expect(reports).toHaveLength(3);
  });

  it('reports a throw on the current value a subscriber gets as being about the hub', () => {
    const hub = createRecoveryHub({ name: 'h' });
    const reports: ObserverErrorSignal[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'observer_error') reports.push(signal);
    });
    hub.escalations$.subscribe(() => {
      throw new Error('escalations');
    });
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, validationError).pipe(
        withRecovery(undefined, { hub, degradation: { levels: [{ name: 'stub', value: 0 }] } }),
      );
      expectObservable(result).toBe('-(z|)', { z: 0 });
    });
    hub.statistics$.subscribe(() => {
      throw new Error('statistics');
    });
    expect(
      reports.map(({ source, correlationId, at, record }) => [source, correlationId, at, record]),
    ).toEqual([
      ['escalations', 'hub:h', 0, undefined], // before any signal
      ['statistics', 'hub:h', 1, undefined], // at the last signal's time
    ]);
  });
});
