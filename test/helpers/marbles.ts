import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { RecoverySignal } from '../../src/index.js';

/** A fresh TestScheduler whose assertions are vitest's deep equality. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected);
  });
}

/** An observer that records signals, and the record as compact `at type …` lines. */
export function signalLog() {
  const signals: RecoverySignal[] = [];
  const observer = { next: (signal: RecoverySignal) => signals.push(signal) };
  const lines = () =>
    signals.map((s) => {
      switch (s.type) {
        case 'error_detected':
          return `${s.at} error_detected ${s.classification.pattern?.id ?? 'unmatched'}`;
        case 'recovery_attempt':
          return `${s.at} recovery_attempt ${s.strategy} #${s.attempt} ${s.delayMs}ms`;
        case 'recovery_completed':
          return `${s.at} recovery_completed ${s.result.success ? 'success' : 'failure'} ${s.result.strategyUsed} x${s.result.attempts} ${s.result.durationMs}ms`;
        case 'escalated':
          return `${s.at} escalated ${s.record.patternId ?? 'unmatched'}`;
        case 'observer_error':
          return `${s.at} observer_error ${s.source}`;
        case 'circuit_state_changed':
          return `${s.at} circuit_state_changed ${s.breakerName} ${s.from}→${s.to}`;
        case 'retry_budget_exhausted':
          return `${s.at} retry_budget_exhausted ${s.budgetName} ${s.strategy}`;
        case 'escalation_resolved':
          return `${s.at} escalation_resolved ${s.action}`;
        default:
          return `${s.at} ${s.type} ${s.store}`;
      }
    });
  return { signals, observer, lines };
}
