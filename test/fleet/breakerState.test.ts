import { describe, expect, it } from 'vitest';
import {
  type BreakerMachine,
  type BreakerSettings,
  breakerMachine,
  DEFAULT_OPEN_MS,
  FAILURE,
  REFUSED,
  SLOW,
  SUCCESS,
} from '../../src/fleet/breakerState.js';
import { BUCKETS, MAX_WINDOW_CALLS, type Ring, ring } from '../../src/fleet/windows.js';

const machine = (settings: Partial<BreakerSettings> & Pick<BreakerSettings, 'trip'>) =>
  breakerMachine({ openMs: 100, halfOpenCalls: 1, ...settings });

/** The transitions left by the machine, as `from→to` strings; empties the queue. */
function moves(m: BreakerMachine): string[] {
  const out = m.transitions.map(({ from, to }) => `${from}→${to}`);
  m.transitions.length = 0;
  return out;
}

/** The outcome counts of a breaker's window (its counters: failures, fast and slow successes). */
function counts(window: Ring) {
  const [failures = 0, ok = 0, slow = 0] = window.totals;
  return { calls: failures + ok + slow, failures, successes: ok + slow, slow };
}

/** One call admitted and finished at `now`. */
function call(m: BreakerMachine, now: number, outcome: 'ok' | 'slow' | 'fail' | 'ignored') {
  const permit = m.admit(now);
  expect(permit).not.toBe(REFUSED);
  if (outcome === 'ok' || outcome === 'slow') m.succeed(permit, outcome === 'slow', now);
  else m.fail(permit, outcome === 'fail', now);
}

describe('BreakerMachine', () => {
  describe('consecutive trip', () => {
    it('opens at the Nth counted failure in a row; a success starts the count again', () => {
      const m = machine({ trip: { consecutive: 3 } });
      call(m, 0, 'fail');
      call(m, 1, 'fail');
      call(m, 2, 'ok');
      call(m, 3, 'fail');
      call(m, 4, 'fail');
      expect(m.state).toBe('closed');
      expect(m.consecutiveFailures).toBe(2);
      call(m, 5, 'fail');
      expect(m.state).toBe('open');
      expect(moves(m)).toEqual(['closed→open']);
    });

    it('ignores an error that does not count: no failure, no success', () => {
      const m = machine({ trip: { consecutive: 2 } });
      call(m, 0, 'fail');
      call(m, 1, 'ignored');
      expect(m.consecutiveFailures).toBe(1);
      expect(counts(m.window).calls).toBe(1);
      call(m, 2, 'fail');
      expect(m.state).toBe('open');
    });

    it('a slow success is a success for the failure count', () => {
      const m = machine({ trip: { consecutive: 2 }, slowCall: { ms: 10, rate: 1 } });
      call(m, 0, 'fail');
      call(m, 1, 'slow');
      call(m, 2, 'fail');
      expect(m.state).toBe('closed');
    });

    it('with slowCall, opens when the last N calls are slow at the rate (the window must be full)', () => {
      const m = machine({ trip: { consecutive: 3 }, slowCall: { ms: 10, rate: 2 / 3 } });
      call(m, 0, 'slow');
      call(m, 1, 'slow');
      expect(m.state).toBe('closed'); // 2 calls: the window of 3 is not full
      call(m, 2, 'ok');
      expect(m.state).toBe('open'); // 2 of the last 3 are slow: 2/3 ≥ 2/3
    });
  });

  describe('rate trip over a count window', () => {
    const trip = { rate: 0.5, minimumCalls: 4, window: { calls: 4 } } as const;

    it('waits for minimumCalls, then opens at a failure rate ≥ rate — also on a success', () => {
      const m = machine({ trip });
      call(m, 0, 'fail');
      call(m, 1, 'fail');
      call(m, 2, 'fail');
      expect(m.state).toBe('closed'); // 3 < minimumCalls
      call(m, 3, 'ok'); // 3 of 4 failed
      expect(m.state).toBe('open');
    });

    it('counts only the last `calls` outcomes', () => {
      const m = machine({ trip: { rate: 0.75, minimumCalls: 4, window: { calls: 4 } } });
      for (const outcome of ['fail', 'fail', 'ok', 'ok', 'ok', 'fail', 'fail'] as const) {
        call(m, 0, outcome);
      }
      expect(m.state).toBe('closed'); // last 4: ok ok fail fail = 0.5
      const { calls, failures, successes } = counts(m.window);
      expect([calls, failures, successes]).toEqual([4, 2, 2]);
      call(m, 0, 'fail'); // last 4: ok fail fail fail = 0.75
      expect(m.state).toBe('open');
    });

    it('opens on the slow-call rate too', () => {
      const m = machine({ trip, slowCall: { ms: 10, rate: 0.5 } });
      call(m, 0, 'slow');
      call(m, 1, 'ok');
      call(m, 2, 'ok');
      expect(m.state).toBe('closed');
      call(m, 3, 'slow'); // 2 of 4 slow, 0 failed
      expect(m.state).toBe('open');
    });
  });

  describe('rate trip over a time window', () => {
    it('forgets outcomes once their bucket leaves the window (10 buckets of ms/10)', () => {
      const m = machine({ trip: { rate: 0.5, minimumCalls: 2, window: { ms: 1000 } } });
      call(m, 0, 'ok');
      call(m, 950, 'ok');
      call(m, 999, 'fail');
      expect(m.state).toBe('closed'); // 1 of 3
      m.window.advance(1000); // bucket 0 (0–99 ms) has left the window
      expect(counts(m.window).calls).toBe(2);
      call(m, 1000, 'fail'); // 2 failures of 3
      expect(m.state).toBe('open');
    });

    it('a quiet period longer than the window empties it', () => {
      const m = machine({ trip: { rate: 0.5, minimumCalls: 3, window: { ms: 100 } } });
      call(m, 0, 'fail');
      call(m, 5, 'fail');
      call(m, 500, 'fail');
      expect(m.state).toBe('closed');
      expect(counts(m.window).calls).toBe(1);
    });
  });

  describe('open and half-open', () => {
    it('refuses while open, becomes half-open exactly at openMs, lazily', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: 100 });
      call(m, 10, 'fail');
      expect(m.admit(109)).toBe(REFUSED);
      expect(m.retryAfterMs(60)).toBe(50);
      expect(m.state).toBe('open'); // nothing looked at the clock yet
      m.tick(110);
      expect(m.state).toBe('half_open');
      expect(m.retryAfterMs(110)).toBe(0);
      expect(moves(m)).toEqual(['closed→open', 'open→half_open']);
    });

    it('admits exactly halfOpenCalls trials; closes when all succeeded', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: 10, halfOpenCalls: 2 });
      call(m, 0, 'fail');
      const a = m.admit(10);
      const b = m.admit(10);
      expect([a, b].includes(REFUSED)).toBe(false);
      expect(m.admit(10)).toBe(REFUSED);
      m.succeed(a, false, 11);
      expect(m.state).toBe('half_open');
      expect(m.admit(11)).toBe(REFUSED); // one succeeded + one running = 2
      m.succeed(b, false, 12);
      expect(m.state).toBe('closed');
      expect(moves(m)).toEqual(['closed→open', 'open→half_open', 'half_open→closed']);
    });

    it('a released trial or an error that does not count gives its permit back', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: 10 });
      call(m, 0, 'fail');
      const a = m.admit(10);
      m.release(a, 11);
      const b = m.admit(11);
      expect(b).not.toBe(REFUSED);
      m.fail(b, false, 12);
      expect(m.state).toBe('half_open');
      expect(m.admit(12)).not.toBe(REFUSED);
    });

    it('a failed or slow trial opens again, and opens counts the openings in a row', () => {
      const m = machine({
        trip: { consecutive: 1 },
        slowCall: { ms: 5, rate: 1 },
        openMs: (opens) => opens * 10,
      });
      call(m, 0, 'fail'); // opens 1: 10 ms
      expect([m.opens, m.openUntil]).toEqual([1, 10]);
      m.fail(m.admit(10), true, 11); // opens 2: 20 ms
      expect([m.opens, m.openUntil]).toEqual([2, 31]);
      m.succeed(m.admit(31), true, 40); // slow trial: opens 3: 30 ms
      expect([m.state, m.opens, m.openUntil]).toEqual(['open', 3, 70]);
      m.succeed(m.admit(70), false, 71);
      expect([m.state, m.opens]).toEqual(['closed', 0]);
    });

    it('an openMs function that throws or returns junk counts as the default', () => {
      const junk = [Number.NaN, -1, '5', undefined];
      for (const value of junk) {
        const m = machine({ trip: { consecutive: 1 }, openMs: () => value as number });
        call(m, 0, 'fail');
        expect(m.openUntil).toBe(DEFAULT_OPEN_MS);
      }
      const m = machine({
        trip: { consecutive: 1 },
        openMs: () => {
          throw new Error('bug');
        },
      });
      call(m, 0, 'fail');
      expect(m.openUntil).toBe(DEFAULT_OPEN_MS);
    });

    it('openMs Infinity stays open until reset', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: Number.POSITIVE_INFINITY });
      call(m, 0, 'fail');
      expect(m.admit(1e12)).toBe(REFUSED);
      expect(m.retryAfterMs(1e12)).toBe(Number.POSITIVE_INFINITY);
      m.reset(1e12);
      expect(m.state).toBe('closed');
    });
  });

  describe('generations', () => {
    it('every transition starts a generation; outcomes of older permits are ignored', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: 10, halfOpenCalls: 1 });
      const early = m.admit(0);
      call(m, 0, 'fail'); // open: generation 1
      expect(m.generation).toBe(1);
      m.tick(10); // half-open: generation 2
      const trial = m.admit(10);
      m.fail(early, true, 10); // admitted when closed: ignored
      m.succeed(early, false, 10);
      m.release(early, 10);
      expect([m.state, m.trialsRunning]).toEqual(['half_open', 1]);
      m.succeed(trial, false, 11);
      expect([m.state, m.generation]).toEqual(['closed', 3]);
    });

    it('reset starts a generation even when closed', () => {
      const m = machine({ trip: { consecutive: 2 } });
      const before = m.admit(0);
      call(m, 0, 'fail');
      m.reset(1);
      expect([m.state, m.generation, m.consecutiveFailures]).toEqual(['closed', 1, 0]);
      m.fail(before, true, 2);
      expect(m.consecutiveFailures).toBe(0);
      expect(moves(m)).toEqual([]);
    });

    it('an event applies time first: a reset after openMs goes through half-open', () => {
      const m = machine({ trip: { consecutive: 1 }, openMs: 10 });
      call(m, 0, 'fail');
      m.reset(15);
      expect(moves(m)).toEqual(['closed→open', 'open→half_open', 'half_open→closed']);
    });
  });

  describe('isolation', () => {
    it('is nested: the breaker closes when the last isolation is released', () => {
      const m = machine({ trip: { consecutive: 1 } });
      const a = m.isolate(0);
      const b = m.isolate(1);
      expect(m.admit(2)).toBe(REFUSED);
      expect(m.retryAfterMs(2)).toBe(Number.POSITIVE_INFINITY);
      m.releaseIsolation(a, 3);
      expect(m.state).toBe('isolated');
      m.releaseIsolation(b, 4);
      expect(m.state).toBe('closed');
      expect(moves(m)).toEqual(['closed→isolated', 'isolated→closed']);
    });

    it('overrides open; reset ends it, and handles of an ended isolation release nothing', () => {
      const m = machine({ trip: { consecutive: 1 } });
      call(m, 0, 'fail');
      const old = m.isolate(1);
      m.reset(2);
      const current = m.isolate(3);
      m.releaseIsolation(old, 4);
      expect(m.state).toBe('isolated');
      m.releaseIsolation(current, 5);
      expect(moves(m)).toEqual([
        'closed→open',
        'open→isolated',
        'isolated→closed',
        'closed→isolated',
        'isolated→closed',
      ]);
    });
  });
});

describe('windows', () => {
  it('a time window keeps BUCKETS slots whatever the traffic', () => {
    const buckets = ring(2, 1000);
    for (let t = 0; t < 100_000; t += 7) buckets.add(t, t % 2);
    // only the last 10 buckets of 100 ms count: 900–999 ms back, depending on the bucket
    const expected = Array.from({ length: 100_000 }, (_, i) => i).filter(
      (t) => t % 7 === 0 && Math.floor(t / 100) > Math.floor(99_995 / 100) - BUCKETS,
    ).length;
    expect((buckets.totals[0] ?? 0) + (buckets.totals[1] ?? 0)).toBe(expected);
    expect(buckets.slots.length).toBe(BUCKETS * 2);
  });

  it('a time window ignores time going back', () => {
    const buckets = ring(1, 100);
    buckets.add(500, 0);
    buckets.add(10, 0); // counted in the current bucket
    buckets.advance(595);
    expect(buckets.totals[0]).toBe(2);
    buckets.advance(600);
    expect(buckets.totals[0]).toBe(0);
  });

  it('a count window counts the last n outcomes', () => {
    const window = ring(3, undefined, 3);
    for (const outcome of [FAILURE, SLOW, SUCCESS, SLOW]) window.add(0, outcome);
    const { calls, failures, successes, slow } = counts(window);
    expect([calls, failures, successes, slow]).toEqual([3, 0, 3, 2]);
    expect(window.slots.length).toBe(3); // one byte per entry, whatever the counters
  });

  it('a consecutive trip of any size counts failures in a number; its window keeps at most MAX_WINDOW_CALLS calls', () => {
    const m = machine({ trip: { consecutive: Number.MAX_SAFE_INTEGER } });
    expect(m.window.slots.length).toBe(MAX_WINDOW_CALLS);
    expect(m.window.slots.BYTES_PER_ELEMENT).toBe(1);
    for (let t = 0; t < MAX_WINDOW_CALLS + 5; t++) call(m, t, 'fail');
    expect(m.state).toBe('closed');
    expect(m.consecutiveFailures).toBe(MAX_WINDOW_CALLS + 5);
    expect(counts(m.window)).toMatchObject({ calls: MAX_WINDOW_CALLS, failures: MAX_WINDOW_CALLS });
  });

  it('with slowCall, a consecutive trip beyond MAX_WINDOW_CALLS judges the slow rate once that many calls are in', () => {
    const m = machine({ trip: { consecutive: 2 ** 31 }, slowCall: { ms: 10, rate: 1 } });
    for (let t = 0; t < MAX_WINDOW_CALLS - 1; t++) call(m, t, 'slow');
    expect(m.state).toBe('closed');
    call(m, MAX_WINDOW_CALLS, 'slow');
    expect(moves(m)).toEqual(['closed→open']);
  });
});
