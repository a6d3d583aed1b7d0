import type { RecoverySignal } from '../observability/signals.js';
import { errorText } from '../patterns/errorText.js';
import type { SignalLine } from './view.js';

const MAX_TEXT = 240;

/** The first line of `text`, at most {@link MAX_TEXT} characters. */
export function firstLine(text: string, max = MAX_TEXT): string {
  const end = text.indexOf('\n');
  const line = end === -1 ? text : text.slice(0, end);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What one line of the page's signal log says about `signal`. */
export function describeSignal(signal: RecoverySignal): Pick<SignalLine, 'text' | 'tone'> {
  switch (signal.type) {
    case 'error_detected': {
      const { errorType, pattern } = signal.classification;
      return {
        text: `${errorType} · ${pattern?.id ?? 'unmatched'} — ${firstLine(errorText(signal.error))}`,
        tone: 'warn',
      };
    }
    case 'recovery_attempt': {
      const wait = signal.delayMs > 0 ? ` after ${Math.round(signal.delayMs)} ms` : '';
      return {
        text: `${signal.strategy} #${signal.attempt}${wait} · ${signal.patternId ?? signal.errorType}`,
        tone: 'info',
      };
    }
    case 'recovery_completed': {
      const { success, strategyUsed, attempts, durationMs, errorMessage } = signal.result;
      const how = `${strategyUsed}, ${plural(attempts, 'step')}, ${Math.round(durationMs)} ms`;
      return success
        ? { text: `recovered by ${how}`, tone: 'ok' }
        : {
            text: `failed: ${how}${errorMessage === undefined ? '' : ` — ${firstLine(errorMessage)}`}`,
            tone: 'bad',
          };
    }
    case 'escalated':
      return {
        text: `${signal.record.pending === true ? 'waits for a person' : 'escalated'} — ${firstLine(signal.record.message)}`,
        tone: 'bad',
      };
    case 'observer_error':
      return {
        text: `a ${signal.source} consumer threw — ${firstLine(errorText(signal.error))}`,
        tone: 'warn',
      };
    case 'circuit_state_changed':
      return {
        text: `breaker ${signal.breakerName}: ${signal.from} → ${signal.to}`,
        tone: signal.to === 'closed' ? 'ok' : signal.to === 'half_open' ? 'warn' : 'bad',
      };
    case 'retry_budget_exhausted':
      return {
        text: `budget ${signal.budgetName} is spent: ${signal.strategy} skipped${signal.patternId === undefined ? '' : ` · ${signal.patternId}`}`,
        tone: 'warn',
      };
    case 'escalation_resolved':
      return {
        text: `escalation resolved: ${signal.action} — ${firstLine(signal.record.message)}`,
        tone: signal.action === 'timeout' || signal.action === 'abort' ? 'warn' : 'ok',
      };
    case 'store_degraded':
      return {
        text: `store ${signal.store} degraded: local state only — ${firstLine(errorText(signal.error))}`,
        tone: 'bad',
      };
    case 'store_recovered':
      return { text: `store ${signal.store} recovered`, tone: 'ok' };
  }
}
