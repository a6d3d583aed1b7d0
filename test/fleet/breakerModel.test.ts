import fc from 'fast-check';
import { Subject, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type BrokenCircuitError,
  isBrokenCircuitError,
} from '../../src/fleet/BrokenCircuitError.js';
import {
  type CircuitBreakerOptions,
  createCircuitBreaker,
  type IsolationHandle,
} from '../../src/fleet/circuitBreaker.js';
import type { CircuitState } from '../../src/observability/signals.js';
import { circuitBreaker } from '../../src/operators/circuitBreaker.js';

/**
 * The breaker's rules, written as plainly as possible: every outcome kept in a list with
 * its time, every count recomputed from the list. The property drives the real breaker
 * (through the operator, with Subjects as calls) and this model with the same random
 * events, and compares them after every event.
 */
type Trip =
  | { consecutive: number }
  | { rate: number; minimumCalls: number; window: { calls: number } | { ms: number } };

interface ModelConfig {
  trip: Trip;
  slowCall: { ms: number; rate: number } | undefined;
  openMs: number | 'grow';
  halfOpenCalls: number;
}

const growing = (opens: number) => opens * 5;

class Model {
  state: CircuitState = 'closed';
  generation = 0;
  opens = 0;
  openUntil = 0;
  consecutiveFailures = 0;
  running = 0;
  succeeded = 0;
  epoch = 0;
  handles = new Set<number>();
  handleIds = 0;
  outcomes: { at: number; kind: 'ok' | 'slow' | 'fail' }[] = [];
  transitions: string[] = [];

  constructor(readonly config: ModelConfig) {}

  window(now: number) {
    const { trip } = this.config;
    let kept = this.outcomes;
    if ('consecutive' in trip) kept = kept.slice(-trip.consecutive);
    else if ('calls' in trip.window) kept = kept.slice(-trip.window.calls);
    else {
      const { ms } = trip.window;
      const bucket = (t: number) => Math.floor((t * 10) / ms);
      kept = kept.filter((o) => bucket(o.at) > bucket(now) - 10);
    }
    const failures = kept.filter((o) => o.kind === 'fail').length;
    const slow = kept.filter((o) => o.kind === 'slow').length;
    return { calls: kept.length, failures, successes: kept.length - failures, slow };
  }

  look(now: number) {
    if (this.state === 'open' && now >= this.openUntil) this.move('half_open', now);
  }

  move(to: CircuitState, now: number) {
    this.transitions.push(`${this.state}→${to}`);
    this.state = to;
    this.generation++;
    this.running = 0;
    this.succeeded = 0;
    if (to === 'closed') {
      this.outcomes = [];
      this.consecutiveFailures = 0;
      this.opens = 0;
    }
    if (to === 'open') {
      this.opens++;
      const { openMs } = this.config;
      this.openUntil = now + (openMs === 'grow' ? growing(this.opens) : openMs);
    }
  }

  /** A permit, or what the refusal says. */
  admit(now: number): { generation: number } | { state: CircuitState; retryAfterMs: number } {
    this.look(now);
    if (this.state === 'closed') return { generation: this.generation };
    if (this.state === 'half_open' && this.running + this.succeeded < this.config.halfOpenCalls) {
      this.running++;
      return { generation: this.generation };
    }
    return { state: this.state, retryAfterMs: this.retryAfterMs(now) };
  }

  retryAfterMs(now: number) {
    if (this.state === 'open') return this.openUntil - now;
    return this.state === 'isolated' ? Number.POSITIVE_INFINITY : 0;
  }

  finish(
    call: { generation: number; start: number },
    outcome: 'success' | 'failure' | 'ignored' | 'unsubscribe',
    now: number,
  ) {
    this.look(now);
    if (call.generation !== this.generation) return;
    const { slowCall } = this.config;
    const slow = outcome === 'success' && slowCall !== undefined && now - call.start > slowCall.ms;
    if (this.state === 'half_open') {
      this.running--;
      if (outcome === 'failure' || slow) this.move('open', now);
      else if (outcome === 'success' && ++this.succeeded >= this.config.halfOpenCalls) {
        this.move('closed', now);
      }
      return;
    }
    if (this.state !== 'closed' || outcome === 'ignored' || outcome === 'unsubscribe') return;
    this.outcomes.push({ at: now, kind: outcome === 'failure' ? 'fail' : slow ? 'slow' : 'ok' });
    this.consecutiveFailures = outcome === 'failure' ? this.consecutiveFailures + 1 : 0;
    if (this.trips(now)) this.move('open', now);
  }

  trips(now: number): boolean {
    const { trip, slowCall } = this.config;
    const { calls, failures, slow } = this.window(now);
    let minimum: number;
    if ('consecutive' in trip) {
      if (this.consecutiveFailures >= trip.consecutive) return true;
      minimum = trip.consecutive;
    } else {
      if (calls >= trip.minimumCalls && failures / calls >= trip.rate) return true;
      minimum = trip.minimumCalls;
    }
    return slowCall !== undefined && calls >= minimum && slow / calls >= slowCall.rate;
  }

  isolate(now: number): { id: number; epoch: number } {
    this.look(now);
    if (this.state !== 'isolated') {
      this.epoch++;
      this.handles = new Set();
      this.move('isolated', now);
    }
    const id = ++this.handleIds;
    this.handles.add(id);
    return { id, epoch: this.epoch };
  }

  release(handle: { id: number; epoch: number }, now: number) {
    this.look(now);
    if (this.state !== 'isolated' || handle.epoch !== this.epoch) return;
    if (!this.handles.delete(handle.id)) return;
    if (this.handles.size === 0) this.move('closed', now);
  }

  reset(now: number) {
    this.look(now);
    this.handles = new Set();
    if (this.state !== 'closed') this.move('closed', now);
    else {
      this.generation++;
      this.outcomes = [];
      this.consecutiveFailures = 0;
      this.opens = 0;
    }
  }

  snapshot(now: number) {
    this.look(now);
    return {
      state: this.state,
      generation: this.generation,
      opens: this.opens,
      ...this.window(now),
      consecutiveFailures: this.consecutiveFailures,
      trialCalls: this.running,
      trialSuccesses: this.succeeded,
      isolations: this.state === 'isolated' ? this.handles.size : 0,
      retryAfterMs: this.retryAfterMs(now),
    };
  }
}

const rate = fc.constantFrom(0.25, 0.5, 2 / 3, 1);

const configs: fc.Arbitrary<ModelConfig> = fc.record({
  trip: fc.oneof(
    fc.record({ consecutive: fc.integer({ min: 1, max: 4 }) }),
    fc.integer({ min: 1, max: 6 }).chain((calls) =>
      fc.record({
        rate,
        minimumCalls: fc.integer({ min: 1, max: calls }),
        window: fc.constant({ calls }),
      }),
    ),
    fc.record({
      rate,
      minimumCalls: fc.integer({ min: 1, max: 5 }),
      window: fc.record({ ms: fc.constantFrom(10, 20, 50, 100, 125) }),
    }),
  ),
  slowCall: fc.option(fc.record({ ms: fc.constantFrom(0, 1, 5, 10), rate }), {
    nil: undefined,
  }),
  // Times that line up with the clock's steps, so that boundaries are hit exactly.
  openMs: fc.constantFrom(0, 5, 10, 20, 'grow' as const),
  halfOpenCalls: fc.integer({ min: 1, max: 3 }),
});

type Event =
  | { kind: 'call' }
  | { kind: 'finish'; index: number; outcome: 'success' | 'failure' | 'ignored' | 'unsubscribe' }
  | { kind: 'advance'; ms: number }
  | { kind: 'isolate' }
  | { kind: 'release'; index: number }
  | { kind: 'reset' };

/** Weights that keep the breaker busy: enough failures to trip it, few isolations. */
const events: fc.Arbitrary<Event[]> = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.constant({ kind: 'call' as const }) },
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('finish' as const),
        index: fc.nat({ max: 3 }),
        outcome: fc.constantFrom(
          'failure',
          'failure',
          'failure',
          'success',
          'success',
          'ignored',
          'unsubscribe',
        ),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        ms: fc.constantFrom(0, 1, 2, 5, 10, 20),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'isolate' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('release' as const), index: fc.nat({ max: 2 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  ),
  { minLength: 20, maxLength: 150, size: 'max' },
);

const failure = new Error('HTTP 503 Service Unavailable');
const ignored = new Error('ignored by countsAsFailure');

describe('the circuit breaker against a reference model', () => {
  it('agrees on state, counts and admissions after every event', () => {
    fc.assert(
      fc.property(configs, events, (config, script) => {
        const clock = {
          t: 0,
          now: () => clock.t,
          schedule: () => {
            throw new Error('the breaker scheduled something');
          },
        };
        const options: CircuitBreakerOptions = {
          trip: config.trip,
          halfOpenCalls: config.halfOpenCalls,
          openMs: config.openMs === 'grow' ? growing : config.openMs,
          countsAsFailure: (error) => error !== ignored,
          scheduler: clock,
        };
        if (config.slowCall !== undefined) options.slowCall = config.slowCall;
        const breaker = createCircuitBreaker(options);
        const model = new Model(config);
        const transitions: string[] = [];
        let previous: CircuitState | undefined;
        breaker.state$.subscribe((state) => {
          if (previous !== undefined) transitions.push(`${previous}→${state}`);
          previous = state;
        });

        const calls: {
          subject: Subject<string>;
          subscription: Subscription;
          model: { generation: number; start: number };
        }[] = [];
        const handles: { real: IsolationHandle; model: { id: number; epoch: number } }[] = [];

        for (const event of script) {
          switch (event.kind) {
            case 'call': {
              const subject = new Subject<string>();
              let refusal: BrokenCircuitError | undefined;
              const subscription = subject.pipe(circuitBreaker(breaker)).subscribe({
                error: (error: unknown) => {
                  if (isBrokenCircuitError(error)) refusal = error;
                },
              });
              const expected = model.admit(clock.t);
              if ('generation' in expected) {
                expect(refusal).toBeUndefined();
                expect(subject.observed).toBe(true);
                calls.push({ subject, subscription, model: { ...expected, start: clock.t } });
              } else {
                expect(subject.observed).toBe(false); // the source is never subscribed
                expect({ state: refusal?.state, retryAfterMs: refusal?.retryAfterMs }).toEqual(
                  expected,
                );
              }
              break;
            }
            case 'finish': {
              if (calls.length === 0) break;
              // counted from the newest: recent calls (half-open trials) finish most often
              const [call] = calls.splice(calls.length - 1 - (event.index % calls.length), 1);
              if (call === undefined) break;
              if (event.outcome === 'success') call.subject.next('value');
              else if (event.outcome === 'failure') call.subject.error(failure);
              else if (event.outcome === 'ignored') call.subject.error(ignored);
              else call.subscription.unsubscribe();
              model.finish(call.model, event.outcome, clock.t);
              break;
            }
            case 'advance':
              clock.t += event.ms;
              break;
            case 'isolate':
              handles.push({ real: breaker.isolate(), model: model.isolate(clock.t) });
              break;
            case 'release': {
              // counted from the newest; an older one may be released already
              const handle =
                handles[handles.length - 1 - (event.index % Math.max(1, handles.length))];
              if (handle === undefined) break;
              handle.real.release(); // may be a second release: it must do nothing
              model.release(handle.model, clock.t);
              break;
            }
            case 'reset':
              breaker.reset();
              model.reset(clock.t);
              break;
          }
          const { name: _, ...actual } = breaker.snapshot();
          expect(actual).toEqual(model.snapshot(clock.t));
          expect(transitions).toEqual(model.transitions);
        }
        breaker.dispose();
      }),
    );
  });
});
