import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../src/dashboard/model.js';
import { describeSignal } from '../../src/dashboard/signalLine.js';
import { MAX_NAMED, RECENT_SIGNALS, TRANSITIONS_KEPT } from '../../src/dashboard/view.js';
import { createRecoveryHub } from '../../src/index.js';
import {
  type CircuitState,
  circuitStateChangedSignal,
  type RecoveryResult,
  type RecoverySignal,
  recoveryCompletedSignal,
  retryBudgetExhaustedSignal,
  storeDegradedSignal,
  storeRecoveredSignal,
} from '../../src/observability/signals.js';
import type { FleetBreaker, FleetReport } from '../../src/redis.js';
import type { EscalationRecord } from '../../src/strategies/EscalationError.js';

const context = { correlationId: 'c-1', workflowId: 'w', nodeName: 'generate_code' };
const completed = (success: boolean, at = 0): RecoverySignal =>
  recoveryCompletedSignal(context, at, {
    success,
    strategyUsed: success ? 'retry' : 'escalate',
    attempts: 2,
    durationMs: 30,
    errorType: 'timeout',
    correlationId: 'c-1',
    ...(success ? {} : { errorMessage: 'Error: Request timed out\nETIMEDOUT' }),
  } satisfies RecoveryResult);

const model = (breakers: string[] = [], budgets: string[] = []) =>
  new DashboardModel('hub-1', createRecoveryHub().snapshot(), { breakers, budgets });

describe('DashboardModel', () => {
  it('starts with a whole picture to send, then sends only what changed', () => {
    const m = model();
    const first = m.delta(1000);
    expect(Object.keys(first ?? {}).sort()).toEqual(
      [
        'breakers',
        'budgets',
        'escalations',
        'full',
        'now',
        'rate',
        'signals',
        'statistics',
        'stores',
      ].sort(),
    );
    expect(m.delta(1000)).toBeNull();
    m.addSignal(completed(true), 2000);
    expect(Object.keys(m.delta(2000) ?? {}).sort()).toEqual(['full', 'now', 'rate', 'signals']);
  });

  it('counts recoveries and failures per second over the last minute, oldest first', () => {
    const m = model();
    m.addSignal(completed(true), 10_100);
    m.addSignal(completed(true), 10_900);
    m.addSignal(completed(false), 10_950);
    m.addSignal(completed(false), 12_000);
    const { rate } = m.full(12_500);
    expect(rate?.second).toBe(12);
    expect(rate?.recovered.slice(-3)).toEqual([2, 0, 0]);
    expect(rate?.failed.slice(-3)).toEqual([1, 0, 1]);
    expect(rate?.recovered).toHaveLength(60);
    // A minute and more later the window has moved past them.
    const later = m.full(80_000).rate;
    expect(later?.recovered.every((n) => n === 0)).toBe(true);
    expect(later?.failed.every((n) => n === 0)).toBe(true);
  });

  it('keeps the last signals as lines, and a delta carries only the new ones', () => {
    const m = model();
    m.delta(0);
    for (let i = 0; i < RECENT_SIGNALS + 20; i++) m.addSignal(completed(i % 2 === 0), i);
    const full = m.full(100).signals ?? [];
    expect(full).toHaveLength(RECENT_SIGNALS);
    expect(full[0]?.seq).toBe(21);
    expect(full.at(-1)).toMatchObject({
      seq: RECENT_SIGNALS + 20,
      type: 'recovery_completed',
      node: 'generate_code',
      tone: 'bad',
      text: 'failed: escalate, 2 steps, 30 ms — Error: Request timed out',
    });
    m.delta(100);
    m.addSignal(completed(true), 200);
    expect(m.delta(200)?.signals?.map((line) => line.seq)).toEqual([RECENT_SIGNALS + 21]);
  });

  it('shows breakers from signals and from their objects, each transition once', () => {
    const m = model(['model-api']);
    m.breakerState('model-api', 'closed', 0); // state$ on subscribe: the state, no transition
    m.addSignal(circuitStateChangedSignal(5, 'model-api', 'closed', 'open'), 1000);
    m.breakerState('model-api', 'open', 1000); // state$ says the same thing: no news
    m.addSignal(circuitStateChangedSignal(9, 'search', 'closed', 'open'), 2000);
    const { breakers } = m.full(3000);
    expect(breakers).toEqual([
      {
        name: 'model-api',
        state: 'open',
        since: 1000,
        transitions: [{ from: 'closed', to: 'open', at: 1000 }],
      },
      {
        name: 'search',
        state: 'open',
        since: 2000,
        transitions: [{ from: 'closed', to: 'open', at: 2000 }],
      },
    ]);
    for (let i = 0; i < 10; i++) {
      m.breakerState('model-api', i % 2 === 0 ? 'half_open' : 'open', 4000 + i);
    }
    expect(m.full(5000).breakers?.[0]?.transitions).toHaveLength(TRANSITIONS_KEPT);
  });

  it('adds counters from breaker and budget snapshots, and counts budgets running dry', () => {
    const m = model(['model-api'], ['model-api']);
    m.breakerSnapshot(
      {
        name: 'model-api',
        state: 'isolated',
        generation: 1,
        opens: 0,
        calls: 4,
        failures: 3,
        successes: 1,
        slow: 0,
        consecutiveFailures: 3,
        trialCalls: 0,
        trialSuccesses: 0,
        isolations: 1,
        retryAfterMs: Number.POSITIVE_INFINITY,
      },
      10,
    );
    m.budgetSnapshot('model-api', { deposits: 10, withdrawals: 2, balance: 0 });
    m.addSignal(retryBudgetExhaustedSignal(context, 0, 'model-api', 'retry'), 20);
    const { breakers, budgets } = m.full(30);
    expect(breakers?.[0]).toMatchObject({
      state: 'isolated',
      calls: 4,
      failures: 3,
      retryAfterMs: null,
    });
    expect(budgets).toEqual([
      {
        name: 'model-api',
        deposits: 10,
        withdrawals: 2,
        balance: 0,
        exhausted: 1,
        lastExhaustedAt: 20,
      },
    ]);
  });

  it('shows stores degrading and recovering', () => {
    const m = model();
    m.addSignal(storeDegradedSignal(0, 'rx-recovery', new Error('connect ECONNREFUSED')), 10);
    expect(m.full(10).stores).toEqual([
      { name: 'rx-recovery', state: 'degraded', since: 10, error: 'Error: connect ECONNREFUSED' },
    ]);
    m.addSignal(storeRecoveredSignal(0, 'rx-recovery'), 20);
    expect(m.full(20).stores).toEqual([{ name: 'rx-recovery', state: 'ok', since: 20 }]);
  });

  it("shows the fleet's shared breakers and budgets, forgets those gone, and says when the store cannot be read", () => {
    const m = model(['model-api']);
    const breaker = (name: string, state: CircuitState, failures: number) => ({
      name,
      state,
      generation: state === 'closed' ? 0 : 1,
      opens: state === 'open' ? 1 : 0,
      calls: 5,
      failures,
      successes: 5 - failures,
      slow: 0,
      consecutiveFailures: failures,
      trialCalls: 0,
      trialSuccesses: 0,
      isolations: 0,
      retryAfterMs: state === 'open' ? 30_000 : 0,
    });
    const report = (breakers: FleetBreaker[], reachable = true): FleetReport => ({
      prefix: 'codegen',
      at: 0,
      reachable,
      ...(reachable ? {} : { error: 'Redis connection is reconnecting' }),
      breakers,
      budgets: reachable ? [{ name: 'search', deposits: 40, withdrawals: 3, balance: 15 }] : [],
      complete: true,
      truncated: false,
    });
    // The object's mirror counts first, then the fleet's: the fleet's win, marked shared.
    m.breakerSnapshot(breaker('model-api', 'closed', 0), 10);
    m.fleetReport(report([breaker('model-api', 'closed', 1), breaker('search', 'closed', 0)]), 20);
    m.breakerSnapshot(breaker('model-api', 'closed', 0), 25);
    m.fleetReport(report([breaker('model-api', 'open', 5), breaker('search', 'closed', 0)]), 30);
    const { breakers, budgets, stores } = m.full(40);
    expect(breakers).toEqual([
      {
        name: 'model-api',
        state: 'open',
        since: 30,
        transitions: [{ from: 'closed', to: 'open', at: 30 }],
        shared: true,
        opens: 1,
        calls: 5,
        failures: 5,
        consecutiveFailures: 5,
        retryAfterMs: 30_000,
      },
      expect.objectContaining({ name: 'search', state: 'closed', shared: true }),
    ]);
    expect(budgets).toEqual([
      { name: 'search', shared: true, deposits: 40, withdrawals: 3, balance: 15, exhausted: 0 },
    ]);
    expect(stores).toEqual([]);
    // Redis down: what was read stays, and the store shows degraded; back: ok.
    m.fleetReport(report([], false), 50);
    expect(m.full(50).breakers?.map((b) => b.name)).toEqual(['model-api', 'search']);
    expect(m.full(50).stores).toEqual([
      { name: 'codegen', state: 'degraded', since: 50, error: 'Redis connection is reconnecting' },
    ]);
    // Back, without search (its keys expired): forgotten; model-api, given as an object, stays.
    m.fleetReport({ ...report([]), budgets: [] }, 60);
    const after = m.full(60);
    expect(after.stores).toEqual([{ name: 'codegen', state: 'ok', since: 60 }]);
    expect(after.breakers).toEqual([
      {
        name: 'model-api',
        state: 'open',
        since: 30,
        transitions: [{ from: 'closed', to: 'open', at: 30 }],
      },
    ]);
    expect(after.budgets).toEqual([]);
  });

  it("forgets a breaker heard only on the fleet's channel once a read no longer finds it", () => {
    const m = model();
    const empty: FleetReport = {
      prefix: 'codegen',
      at: 0,
      reachable: true,
      breakers: [],
      budgets: [],
      complete: true,
      truncated: false,
    };
    m.breakerState('heard-api', 'open', 10, 'closed', true);
    expect(m.full(10).breakers).toEqual([
      {
        name: 'heard-api',
        state: 'open',
        since: 10,
        transitions: [{ from: 'closed', to: 'open', at: 10 }],
        shared: true,
      },
    ]);
    m.fleetReport(empty, 20);
    expect(m.full(20).breakers).toEqual([]);
    // A breaker this process's own objects or signals report is not the fleet's to forget.
    m.breakerState('local-api', 'open', 30, 'closed');
    m.fleetReport(empty, 40);
    expect(m.full(40).breakers?.map((b) => b.name)).toEqual(['local-api']);
  });

  it("shows '–' for figures the fleet's store cannot tell (NaN), and a read of the same NaN is no news", () => {
    const m = model();
    const report: FleetReport = {
      prefix: 'codegen',
      at: 0,
      reachable: true,
      breakers: [
        {
          name: 'old-api',
          state: 'closed',
          generation: 0,
          opens: 0,
          calls: Number.NaN,
          failures: Number.NaN,
          successes: Number.NaN,
          slow: Number.NaN,
          consecutiveFailures: 2,
          trialCalls: 0,
          trialSuccesses: 0,
          isolations: 0,
          retryAfterMs: 0,
        },
      ],
      budgets: [{ name: 'old-budget', deposits: 40, withdrawals: 3, balance: Number.NaN }],
      complete: true,
      truncated: false,
    };
    m.fleetReport(report, 10);
    const { breakers, budgets } = m.full(10);
    expect(breakers).toEqual([
      {
        name: 'old-api',
        state: 'closed',
        transitions: [],
        shared: true,
        opens: 0,
        consecutiveFailures: 2,
        retryAfterMs: 0,
      },
    ]);
    expect(budgets).toEqual([
      { name: 'old-budget', shared: true, deposits: 40, withdrawals: 3, exhausted: 0 },
    ]);
    // The JSON a page gets holds no null where a number was unknown.
    expect(JSON.stringify(m.full(10))).not.toContain('null');
    m.delta(10);
    m.fleetReport(report, 20);
    expect(m.delta(20)).toBeNull();
  });

  it('holds at most MAX_NAMED breakers and budgets read from the fleet', () => {
    const m = model();
    const many = Array.from({ length: MAX_NAMED + 20 }, (_, i) => `b${i}`);
    m.fleetReport(
      {
        prefix: 'codegen',
        at: 0,
        reachable: true,
        breakers: many.map((name) => ({
          name,
          state: 'closed' as const,
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
        })),
        budgets: many.map((name) => ({ name, deposits: 0, withdrawals: 0, balance: 10 })),
        complete: true,
        truncated: true,
      },
      0,
    );
    const { breakers, budgets } = m.full(0);
    expect(breakers).toHaveLength(MAX_NAMED);
    expect(budgets).toHaveLength(MAX_NAMED);
  });

  it('lists waiting escalations with when it first saw them, and clips long messages', () => {
    const m = model();
    const record = (id: string, message = 'Error: Quorum not reached'): EscalationRecord => ({
      id,
      createdAt: 0,
      context: { correlationId: `c-${id}`, nodeName: 'quorum_review' },
      errorType: 'quorum',
      patternId: 'quorum_consensus_failed',
      message,
      attempts: 2,
      pending: true,
    });
    m.setEscalations([record('a')], 100);
    m.setEscalations([record('a'), record('b', 'x'.repeat(5000))], 200);
    const { escalations } = m.full(300);
    expect(escalations?.total).toBe(2);
    expect(escalations?.items.map((item) => [item.id, item.waitingSince])).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(escalations?.items[1]?.message).toHaveLength(2000);
    expect(escalations?.items[0]).toEqual({
      id: 'a',
      node: 'quorum_review',
      correlationId: 'c-a',
      errorType: 'quorum',
      patternId: 'quorum_consensus_failed',
      message: 'Error: Quorum not reached',
      attempts: 2,
      waitingSince: 100,
    });
  });
});

describe('describeSignal', () => {
  it('says what a breaker transition means in one line, with a tone', () => {
    expect(describeSignal(circuitStateChangedSignal(0, 'model-api', 'open', 'half_open'))).toEqual({
      text: 'breaker model-api: open → half_open',
      tone: 'warn',
    });
  });
});
