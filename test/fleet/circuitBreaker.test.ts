import { config, NEVER, of, Subject, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { isRecoveryConfigError } from '../../src/config/RecoveryConfigError.js';
import { BrokenCircuitError, isBrokenCircuitError } from '../../src/fleet/BrokenCircuitError.js';
import {
  type BreakerProtocol,
  breakerProtocolOf,
  type CircuitBreakerOptions,
  countsAsFailureByDefault,
  createCircuitBreaker,
  isCircuitBreaker,
} from '../../src/fleet/circuitBreaker.js';
import { circuitOpenPattern } from '../../src/fleet/circuitOpenPattern.js';
import { createRecoveryHub } from '../../src/observability/hub.js';
import type { RecoverySignal } from '../../src/observability/signals.js';
import { circuitBreaker } from '../../src/operators/circuitBreaker.js';
import { classify, createClassifier } from '../../src/patterns/classifier.js';
import { defaultPatterns } from '../../src/patterns/defaultPatterns.js';
import { thrownBy } from '../helpers/capture.js';

const unavailable = new Error('HTTP 503 Service Unavailable');

/** A clock the tests move by hand, that refuses to schedule anything: the breaker has no timer. */
function manualClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    schedule: () => {
      throw new Error('the breaker scheduled something');
    },
  };
  return clock;
}

/** Fails one call through `breaker` now. */
const failOnce = (breaker: ReturnType<typeof createCircuitBreaker>, error: unknown = unavailable) =>
  throwError(() => error)
    .pipe(circuitBreaker(breaker))
    .subscribe({ error: () => {} });

describe('createCircuitBreaker options', () => {
  it('names every bad option at once', () => {
    const options = {
      name: '',
      trip: { rate: 2, minimumCalls: 10, window: { calls: 5, ms: 3 } },
      slowCall: { ms: -1 },
      openMs: 'soon',
      halfOpenCalls: 0,
      countsAsFailure: true,
      scheduler: {},
      hub: {},
      store: {},
      halfOpen: 1,
    };
    const error = thrownBy(() => createCircuitBreaker(options as never));
    expect(isRecoveryConfigError(error)).toBe(true);
    expect((error as Error).message).toMatchInlineSnapshot(`
      "options.name: must not be empty
      options.trip.rate: must be > 0 and ≤ 1
      options.trip.window.ms: unknown option
      options.trip.minimumCalls: must be ≤ window.calls (5)
      options.slowCall.rate: required
      options.slowCall.ms: must be ≥ 0
      options.openMs: expected number, got "soon"
      options.halfOpenCalls: must be ≥ 1
      options.countsAsFailure: must be a function (error, classification) => boolean
      options.scheduler: must be a SchedulerLike
      options.hub: must be a RecoveryHub (createRecoveryHub)
      options.store: must be a shared store (createRedisStore from rx-recovery/redis)
      options.halfOpen: unknown option"
    `);
  });

  it('requires trip, and each trip form its own fields', () => {
    const message = (options: unknown) =>
      (thrownBy(() => createCircuitBreaker(options as CircuitBreakerOptions)) as Error).message;
    expect(message(undefined)).toMatchInlineSnapshot(`"options: expected object, got nothing"`);
    expect(message({})).toMatchInlineSnapshot(`"options.trip: required"`);
    expect(message({ trip: { rate: 0.5 } })).toMatchInlineSnapshot(`
      "options.trip.minimumCalls: required
      options.trip.window: required"
    `);
    expect(message({ trip: { consecutive: 0, rate: 0.5 } })).toMatchInlineSnapshot(`
      "options.trip.consecutive: must be ≥ 1
      options.trip.rate: unknown option"
    `);
    expect(message({ trip: { rate: 0.5, minimumCalls: 1, window: {} } })).toMatchInlineSnapshot(
      `"options.trip.window: expected { calls } or { ms }"`,
    );
    expect(
      message({ trip: { rate: 0, minimumCalls: 1, window: { ms: 0 } } }),
    ).toMatchInlineSnapshot(`
      "options.trip.rate: must be > 0 and ≤ 1
      options.trip.window.ms: must be ≥ 1"
    `);
  });

  it.each([
    { consecutive: 2 ** 31 },
    { consecutive: Number.MAX_SAFE_INTEGER },
    { rate: 0.5, minimumCalls: 10, window: { calls: 2 ** 32 } },
  ])('createCircuitBreaker({ trip: %j }) makes a breaker or throws RecoveryConfigError', (trip) => {
    let thrown: unknown;
    try {
      createCircuitBreaker({ trip }).dispose();
    } catch (error) {
      thrown = error;
    }
    // not a RangeError ("Invalid typed array length") of a window sized by the trip count
    if (thrown !== undefined) expect(isRecoveryConfigError(thrown)).toBe(true);
  });

  it('bounds a trip: consecutive up to MAX_SAFE_INTEGER, window.calls ≤ 100000, window.ms ≥ 1', () => {
    const message = (trip: unknown) =>
      (thrownBy(() => createCircuitBreaker({ trip } as CircuitBreakerOptions)) as Error).message;
    expect(message({ consecutive: Number.POSITIVE_INFINITY })).toMatchInlineSnapshot(
      `"options.trip.consecutive: must be a finite number"`,
    );
    expect(message({ consecutive: 2 ** 53 })).toMatchInlineSnapshot(
      `"options.trip.consecutive: must be ≤ 9007199254740991"`,
    );
    expect(
      message({ rate: 0.5, minimumCalls: 10, window: { calls: 2 ** 32 } }),
    ).toMatchInlineSnapshot(`"options.trip.window.calls: must be ≤ 100000"`);
    expect(message({ rate: 0.5, minimumCalls: 10, window: { ms: 5e-324 } })).toMatchInlineSnapshot(
      `"options.trip.window.ms: must be ≥ 1"`,
    );
    const largest = createCircuitBreaker({
      trip: { rate: 0.5, minimumCalls: 100_000, window: { calls: 100_000 } },
    });
    expect(largest.snapshot().calls).toBe(0);
  });

  it('accepts every documented form', () => {
    const ok: CircuitBreakerOptions[] = [
      { trip: { consecutive: 1 } },
      { trip: { rate: 1, minimumCalls: 1, window: { calls: 1 } }, halfOpenCalls: 3 },
      {
        trip: { rate: 0.5, minimumCalls: 100, window: { ms: 60_000 } },
        slowCall: { ms: 0, rate: 1 },
      },
      { trip: { consecutive: 2 }, openMs: Number.POSITIVE_INFINITY, store: undefined },
      { trip: { consecutive: 2 }, openMs: (opens) => opens * 1000, hub: createRecoveryHub() },
    ];
    for (const options of ok) expect(isCircuitBreaker(createCircuitBreaker(options))).toBe(true);
  });

  it('the operator refuses anything but a breaker, when the pipe is built', () => {
    expect((thrownBy(() => circuitBreaker({ state: 'closed' } as never)) as Error).message).toBe(
      'breaker: must be a CircuitBreaker (createCircuitBreaker)',
    );
  });
});

describe('CircuitBreaker', () => {
  it('is frozen, named in creation order, closed, with an empty snapshot', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 3 } });
    expect(Object.isFrozen(breaker)).toBe(true);
    expect(breaker.name).toMatch(/^breaker-\d+$/);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot()).toEqual({
      name: breaker.name,
      state: 'closed',
      generation: 0,
      opens: 0,
      calls: 0,
      failures: 0,
      successes: 0,
      slow: 0,
      consecutiveFailures: 0,
      trialCalls: 0,
      trialSuccesses: 0,
      isolations: 0,
      retryAfterMs: 0,
    });
    expect(Object.keys(breaker).sort()).toEqual([
      'dispose',
      'isolate',
      'name',
      'reset',
      'snapshot',
      'state',
      'state$',
    ]);
  });

  it('snapshot counts the window, and retryAfterMs counts down while open', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      trip: { rate: 0.5, minimumCalls: 4, window: { calls: 10 } },
      openMs: 1000,
      scheduler: clock,
    });
    of(1).pipe(circuitBreaker(breaker)).subscribe();
    failOnce(breaker);
    failOnce(breaker);
    expect(breaker.snapshot()).toMatchObject({
      calls: 3,
      failures: 2,
      successes: 1,
      state: 'closed',
    });
    clock.t = 100;
    failOnce(breaker);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', opens: 1, retryAfterMs: 1000 });
    clock.t = 850;
    expect(breaker.snapshot().retryAfterMs).toBe(250);
    clock.t = 1100;
    expect(breaker.snapshot()).toMatchObject({
      state: 'half_open',
      retryAfterMs: 0,
      generation: 2,
    });
  });

  it('refuses with a BrokenCircuitError carrying the name, the state and retryAfterMs', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      name: 'model-api',
      trip: { consecutive: 1 },
      openMs: 500,
      scheduler: clock,
    });
    failOnce(breaker);
    clock.t = 120;
    let refused: unknown;
    NEVER.pipe(circuitBreaker(breaker)).subscribe({ error: (error) => (refused = error) });
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect(refused).toMatchObject({
      name: 'BrokenCircuitError',
      message: 'Circuit "model-api" is open: calls are refused for another 380 ms',
      breakerName: 'model-api',
      state: 'open',
      retryAfterMs: 380,
      isBrokenCircuitError: true,
    });
  });

  it('openMs as a function of the openings in a row', () => {
    const clock = manualClock();
    const seen: number[] = [];
    const breaker = createCircuitBreaker({
      trip: { consecutive: 1 },
      openMs: (opens) => {
        seen.push(opens);
        return 100 * 2 ** (opens - 1);
      },
      scheduler: clock,
    });
    failOnce(breaker); // open 100 ms
    clock.t = 100;
    failOnce(breaker); // the trial fails: open 200 ms
    clock.t = 299;
    expect(breaker.state).toBe('open');
    clock.t = 300;
    failOnce(breaker); // 400 ms
    expect(breaker.snapshot()).toMatchObject({ opens: 3, retryAfterMs: 400 });
    clock.t = 700;
    of(1).pipe(circuitBreaker(breaker)).subscribe(); // the trial succeeds: closed
    failOnce(breaker); // counts from 1 again: 100 ms
    expect(seen).toEqual([1, 2, 3, 1]);
    expect(breaker.snapshot().retryAfterMs).toBe(100);
  });

  it('state$ gives the current state first, then every transition; half_open when computed', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      trip: { consecutive: 1 },
      openMs: 50,
      scheduler: clock,
    });
    const seen: string[] = [];
    breaker.state$.subscribe((state) => seen.push(`${clock.t} ${state}`));
    failOnce(breaker);
    clock.t = 80; // half-open since 50, but nobody has looked
    expect(seen).toEqual(['0 closed', '0 open']);
    const late: string[] = [];
    breaker.state$.subscribe((state) => late.push(state)); // subscribing looks
    expect(seen).toEqual(['0 closed', '0 open', '80 half_open']);
    expect(late).toEqual(['half_open']);
    expect(breaker.state$).not.toBeInstanceOf(Subject);
    expect('next' in breaker.state$).toBe(false);
  });

  it('publishes every transition as circuit_state_changed on its hub', () => {
    const hub = createRecoveryHub();
    const signals: RecoverySignal[] = [];
    hub.signals.subscribe((signal) => signals.push(signal));
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      name: 'llm',
      trip: { consecutive: 1 },
      openMs: 10,
      scheduler: clock,
      hub,
    });
    failOnce(breaker);
    clock.t = 10;
    of(1).pipe(circuitBreaker(breaker)).subscribe();
    expect(signals).toEqual([
      {
        type: 'circuit_state_changed',
        at: 0,
        correlationId: 'circuit:llm',
        workflowId: undefined,
        nodeName: undefined,
        breakerName: 'llm',
        from: 'closed',
        to: 'open',
      },
      expect.objectContaining({ at: 10, from: 'open', to: 'half_open' }),
      expect.objectContaining({ at: 10, from: 'half_open', to: 'closed' }),
    ]);
  });

  it('announces transitions in order when a state$ subscriber acts on the breaker', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, scheduler: clock });
    const seen: string[] = [];
    breaker.state$.subscribe((state) => {
      if (state === 'open') breaker.reset(); // re-entrant
    });
    breaker.state$.subscribe((state) => seen.push(state));
    failOnce(breaker);
    expect(seen).toEqual(['closed', 'open', 'closed']);
    expect(breaker.state).toBe('closed');
  });

  it('a state$ subscriber that throws is reported on the hub, never thrown into RxJS or the calls', () => {
    const clock = manualClock();
    const hub = createRecoveryHub();
    const reports: RecoverySignal[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'observer_error') reports.push(signal);
    });
    const breaker = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      scheduler: clock,
      hub,
    });
    const unhandled: unknown[] = [];
    const before = config.onUnhandledError;
    config.onUnhandledError = (error) => unhandled.push(error);
    try {
      const boom = new Error('lamp broke');
      breaker.state$.subscribe((state) => {
        if (state === 'open') throw boom;
      });
      const seen: string[] = [];
      breaker.state$.subscribe({
        next: (state) => seen.push(state),
        complete: () => seen.push('|'),
      });
      failOnce(breaker);
      expect(breaker.state).toBe('open');
      expect(seen).toEqual(['closed', 'open']); // the next subscriber still heard it
      expect(reports).toEqual([
        expect.objectContaining({ type: 'observer_error', source: 'state$', error: boom }),
      ]);
      // Without a hub, nothing to report to: dropped, still not thrown.
      const quiet = createCircuitBreaker({ trip: { consecutive: 1 }, scheduler: clock });
      quiet.state$.subscribe(() => {
        throw boom;
      });
      failOnce(quiet);
      expect(quiet.state).toBe('open');
      breaker.dispose();
      expect(seen.at(-1)).toBe('|');
      expect(unhandled).toEqual([]);
    } finally {
      config.onUnhandledError = before;
    }
  });

  it('isolate: nested handles; refused with retryAfterMs Infinity; released when every handle is', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      name: 'db',
      trip: { consecutive: 1 },
      scheduler: clock,
    });
    const seen: string[] = [];
    breaker.state$.subscribe((state) => seen.push(state));
    const first = breaker.isolate();
    const second = breaker.isolate();
    let refused: unknown;
    of(1)
      .pipe(circuitBreaker(breaker))
      .subscribe({ error: (error) => (refused = error) });
    expect(refused).toMatchObject({
      state: 'isolated',
      retryAfterMs: Number.POSITIVE_INFINITY,
      message: 'Circuit "db" is isolated: calls are refused until it is released',
    });
    first.release();
    first.release(); // twice: nothing more
    expect(breaker.snapshot()).toMatchObject({ state: 'isolated', isolations: 1 });
    second.release();
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual(['closed', 'isolated', 'closed']);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('reset closes from any state, forgets the counts, and ends isolation', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ trip: { consecutive: 2 }, scheduler: clock });
    failOnce(breaker);
    breaker.reset();
    failOnce(breaker);
    expect(breaker.state).toBe('closed'); // the failure before the reset is forgotten
    failOnce(breaker);
    expect(breaker.state).toBe('open');
    breaker.reset();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0, opens: 0 });
    const handle = breaker.isolate();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    const next = breaker.isolate();
    handle.release(); // from the isolation the reset ended: releases nothing
    expect(breaker.state).toBe('isolated');
    next.release();
    expect(breaker.state).toBe('closed');
  });

  it('dispose completes state$ and leaves nothing scheduled; calls still work', () => {
    const scheduler = new TestScheduler(() => {});
    const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 100, scheduler });
    const events: string[] = [];
    breaker.state$.subscribe({
      next: (state) => events.push(state),
      complete: () => events.push('complete'),
    });
    timer(10, scheduler).subscribe(() => failOnce(breaker));
    scheduler.flush();
    breaker.dispose();
    expect(scheduler.actions).toHaveLength(0);
    expect(events).toEqual(['closed', 'open', 'complete']);
    breaker.state$.subscribe({ complete: () => events.push('complete again') });
    expect(events.at(-1)).toBe('complete again');
    // RxJS's deprecated three-callback form still hears the completion.
    breaker.state$.subscribe(undefined, undefined, () => events.push('complete, third argument'));
    expect(events.at(-1)).toBe('complete, third argument');
    scheduler.frame = 110;
    expect(breaker.state).toBe('half_open');
    expect(scheduler.actions).toHaveLength(0);
  });

  it('works through a protocol found by a registered symbol, as from another copy of the package', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
    const copy = Object.freeze({ [Symbol.for('rx-recovery.breaker')]: breakerProtocolOf(breaker) });
    expect(isCircuitBreaker(copy)).toBe(true);
    failOnce(copy as never);
    expect(breaker.state).toBe('open');
    expect(isCircuitBreaker({ [Symbol.for('rx-recovery.breaker')]: { version: 2 } })).toBe(false);
    // An older copy's protocol carries no call code: refused by the checks, not a TypeError
    // when the pipe is built.
    const { through: _, ...older } = breakerProtocolOf(breaker) as BreakerProtocol;
    const old = { [Symbol.for('rx-recovery.breaker')]: older };
    expect(isCircuitBreaker(old)).toBe(false);
    expect(thrownBy(() => circuitBreaker(old as never))).toMatchObject({
      issues: ['breaker: must be a CircuitBreaker (createCircuitBreaker)'],
    });
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(isCircuitBreaker(hostile)).toBe(false);
  });
});

describe('countsAsFailure', () => {
  it('by default counts transient, timeout and unknown errors, not the others', () => {
    const errors = {
      transient: unavailable,
      timeout: new Error('Request timed out'),
      unknown: new Error('disk full'),
      syntax: new SyntaxError('await is only valid in async functions'),
      validation: new Error('ValidationError: field "name" missing'),
      quorum: new Error('Quorum not reached: 1 of 3 reviewers approved'),
    };
    const counted = Object.entries(errors)
      .filter(([, error]) => countsAsFailureByDefault(error, classify(error)))
      .map(([type]) => type);
    expect(counted).toEqual(['transient', 'timeout', 'unknown']);
  });

  it('an error that does not count opens nothing', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
    failOnce(breaker, new SyntaxError('await is only valid in async functions'));
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('is given the error and its classification; a throw counts', () => {
    const seen: unknown[] = [];
    const breaker = createCircuitBreaker({
      trip: { consecutive: 2 },
      countsAsFailure: (error, classification) => {
        seen.push([error, classification.pattern?.id]);
        if (error === unavailable) throw new Error('bug');
        return false;
      },
    });
    failOnce(breaker, new Error('Request timed out'));
    expect(breaker.snapshot().failures).toBe(0);
    failOnce(breaker);
    failOnce(breaker);
    expect(breaker.state).toBe('open');
    expect(seen[0]).toEqual([new Error('Request timed out'), 'operation_timeout']);
  });
});

describe('BrokenCircuitError and circuit_open', () => {
  it('the guard checks the brand and never throws', () => {
    expect(isBrokenCircuitError(new BrokenCircuitError('a', 'open', 5))).toBe(true);
    expect(isBrokenCircuitError({ isBrokenCircuitError: true })).toBe(true); // another copy
    expect(isBrokenCircuitError(new Error('BrokenCircuitError'))).toBe(false);
    expect(isBrokenCircuitError(null)).toBe(false);
    expect(isBrokenCircuitError('BrokenCircuitError')).toBe(false);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(isBrokenCircuitError(proxy)).toBe(false);
  });

  it('messages say what the state is', () => {
    expect(new BrokenCircuitError('x', 'half_open', 0).message).toBe(
      'Circuit "x" is half-open and its trial calls are taken',
    );
  });

  it('an open period with no end (openMs Infinity) is not "another Infinity ms"', () => {
    const scheduler = new TestScheduler(() => undefined);
    for (const openMs of [Number.POSITIVE_INFINITY, () => Number.POSITIVE_INFINITY]) {
      const breaker = createCircuitBreaker({
        name: 'x',
        trip: { consecutive: 1 },
        openMs,
        scheduler,
      });
      throwError(() => new Error('ECONNRESET'))
        .pipe(circuitBreaker(breaker))
        .subscribe({ error() {} });
      let refusal: unknown;
      of(1)
        .pipe(circuitBreaker(breaker))
        .subscribe({ error: (error) => (refusal = error) });
      expect(refusal).toMatchObject({
        message: 'Circuit "x" is open: calls are refused until it is reset',
        retryAfterMs: Number.POSITIVE_INFINITY,
      });
    }
  });

  it('circuit_open routes a refusal to alternative → degrade → escalate, above every default', () => {
    const classifier = createClassifier([...defaultPatterns, circuitOpenPattern]);
    const refusal = new BrokenCircuitError('llm', 'open', 1000);
    expect(classifier.patterns[0]?.id).toBe('circuit_open');
    expect(classifier.classify(refusal)).toMatchObject({
      pattern: { id: 'circuit_open', priority: 11 },
      errorType: 'transient',
      plan: ['alternative', 'degrade', 'escalate'],
    });
    // a message that mentions the name elsewhere is not a refusal
    expect(classifier.classify(new Error('wrapped BrokenCircuitError: …')).pattern?.id).toBe(
      undefined,
    );
    // a breaker named like a timeout is still a refusal
    expect(
      classifier.classify(new BrokenCircuitError('request timed out', 'isolated', Infinity)).pattern
        ?.id,
    ).toBe('circuit_open');
    expect(Object.isFrozen(circuitOpenPattern)).toBe(true);
  });
});

describe('options are copied', () => {
  it('changing the options object later changes nothing', () => {
    const trip = { consecutive: 1 };
    const slowCall = { ms: 5, rate: 1 };
    const breaker = createCircuitBreaker({ trip, slowCall });
    trip.consecutive = 3;
    slowCall.rate = 0.1;
    failOnce(breaker);
    expect(breaker.state).toBe('open');
  });
});
