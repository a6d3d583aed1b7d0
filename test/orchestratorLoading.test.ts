// The orchestrator's built-in correction is loaded on demand (a dynamic import of
// src/codegen/missingAsyncRule.ts, which carries the code repair). Each test gets the
// library fresh, so nothing is loaded yet, and holds the load behind a gate it opens itself.
import { concat, of, throwError } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Api from '../src/index.js';
import type { RecoverySignal } from '../src/index.js';
import { missingAsyncError, timeoutError } from './helpers/errors.js';

const RULE = '../src/codegen/missingAsyncRule.js';
const code = 'function build() {\n  await render();\n}';

/** The library, fresh, with the on-demand module held until `open()`. */
async function gated() {
  vi.resetModules();
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let loads = 0;
  vi.doMock(RULE, async (importOriginal) => {
    loads += 1;
    await gate;
    return importOriginal();
  });
  const api: typeof Api = await import('../src/index.js');
  return { api, open, loads: () => loads };
}

/** Lets pending promise callbacks and I/O run (no timer, no wall-clock wait). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A signal without what differs between two runs (time, ids, measured CPU time). */
function decision(signal: RecoverySignal) {
  const {
    at: _at,
    correlationId: _id,
    ...rest
  } = signal as RecoverySignal & {
    analysisMs?: number;
  };
  if ('analysisMs' in rest) rest.analysisMs = 0;
  if (signal.type === 'recovery_completed') {
    return { ...rest, result: { ...signal.result, correlationId: '', durationMs: 0 } };
  }
  return rest;
}

afterEach(() => {
  vi.doUnmock(RULE);
  vi.resetModules();
});

describe('ErrorRecoveryOrchestrator: the built-in correction, loaded on demand', () => {
  it('loads nothing with builtInCorrections: false, and nothing waits', async () => {
    const { api, loads } = await gated();
    const orchestrator = new api.ErrorRecoveryOrchestrator({
      builtInCorrections: false,
      retry: { baseDelayMs: 0 },
    });
    await orchestrator.ready(); // resolves though the gate never opens
    const result = await orchestrator.handleError({ error: timeoutError }, () => 'ok');
    expect(result).toMatchObject({ success: true, strategyUsed: 'retry', value: 'ok' });
    await turn();
    expect(loads()).toBe(0);
  });

  it('starts loading at construction; an early error waits, then recovery decides as if loaded', async () => {
    const { api, open, loads } = await gated();
    const early: RecoverySignal[] = [];
    const hub = api.createRecoveryHub();
    hub.signals.subscribe((signal) => early.push(signal));
    const orchestrator = new api.ErrorRecoveryOrchestrator({ hub });
    let calls = 0;
    const handled = orchestrator.handleError({ error: missingAsyncError(code) }, () => {
      calls += 1;
      return 'not called: the correction repairs the code';
    });
    await turn();
    expect(loads()).toBe(1);
    expect(early).toEqual([]); // the error waits for the repair
    open();
    const result = await handled;
    expect(result).toMatchObject({
      success: true,
      strategyUsed: 'correct',
      attempts: 1,
      patternId: 'missing_async_keyword',
      value: `async ${code}`,
    });
    expect(calls).toBe(0);

    // The same call once the repair has loaded: the same signals and statistics.
    const late: RecoverySignal[] = [];
    const loaded = new api.ErrorRecoveryOrchestrator({ hub: api.createRecoveryHub() });
    await loaded.ready();
    loaded.hub.signals.subscribe((signal) => late.push(signal));
    const again = await loaded.handleError({ error: missingAsyncError(code) }, () => 'x');
    const timeless = { correlationId: '', durationMs: 0 }; // real time: a ms may pass
    expect({ ...again, ...timeless }).toEqual({ ...result, ...timeless });
    expect(early.map(decision)).toEqual(late.map(decision));
    expect(early.map((signal) => signal.type)).toEqual([
      'error_detected',
      'recovery_attempt',
      'recovery_completed',
    ]);
    expect({ ...orchestrator.getStatistics(), averageDurationMs: 0 }).toEqual({
      ...loaded.getStatistics(),
      averageDurationMs: 0,
    });
    expect(loads()).toBe(1); // one load for every orchestrator
  });

  it('runs an operation before the load at once; only its error waits', async () => {
    const { api, open } = await gated();
    const orchestrator = new api.ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 0 } });
    const attempts: number[] = [];
    const handled = orchestrator.handleError({}, (_state, { attempt }) => {
      attempts.push(attempt);
      if (attempt === 1) throw timeoutError;
      return 'second time';
    });
    expect(attempts).toEqual([1]); // called synchronously, as before
    await turn();
    expect(attempts).toEqual([1]); // its error waits for the load
    open();
    expect(await handled).toMatchObject({
      success: true,
      strategyUsed: 'retry',
      attempts: 1,
      value: 'second time',
    });
    expect(attempts).toEqual([1, 2]);
  });

  it('subscribes a source piped before the load at once and delivers its values; only its error waits', async () => {
    const { api, open } = await gated();
    const orchestrator = new api.ErrorRecoveryOrchestrator();
    const seen: string[] = [];
    let completed = false;
    concat(
      of('a', 'b'),
      throwError(() => missingAsyncError(code)),
    )
      .pipe(orchestrator.operator<string>({ nodeName: 'codegen' }))
      .subscribe({ next: (value) => seen.push(value), complete: () => (completed = true) });
    expect(seen).toEqual(['a', 'b']);
    await turn();
    expect(completed).toBe(false);
    open();
    await orchestrator.ready();
    await vi.waitFor(() => expect(completed).toBe(true));
    expect(seen).toEqual(['a', 'b', `async ${code}`]);

    // Piped after the load: nothing waits.
    const now: string[] = [];
    throwError(() => missingAsyncError(code))
      .pipe(orchestrator.operator<string>())
      .subscribe((value) => now.push(value));
    expect(now).toEqual([`async ${code}`]);
  });

  it('leaves nothing behind when unsubscribed while an error waits', async () => {
    const { api, open } = await gated();
    const orchestrator = new api.ErrorRecoveryOrchestrator();
    const signals: string[] = [];
    orchestrator.hub.signals.subscribe((signal) => signals.push(signal.type));
    const seen: string[] = [];
    const subscription = throwError(() => missingAsyncError(code))
      .pipe(orchestrator.operator<string>())
      .subscribe({ next: (value) => seen.push(value), error: () => seen.push('error') });
    await turn();
    subscription.unsubscribe();
    open();
    await orchestrator.ready();
    await turn();
    expect(seen).toEqual([]);
    expect(signals).toEqual([]);
  });

  it('when the load fails: ready() rejects with the cause, and the correction declines', async () => {
    vi.resetModules();
    vi.doMock(RULE, () => {
      throw new Error('chunk failed to load');
    });
    const api: typeof Api = await import('../src/index.js');
    const orchestrator = new api.ErrorRecoveryOrchestrator();
    await expect(orchestrator.ready()).rejects.toBeDefined();
    const result = await orchestrator.handleError({ error: missingAsyncError(code) }, () => 'x');
    // correct declines (as for code it cannot repair), so the plan moves on to escalate
    expect(result).toMatchObject({ success: false, strategyUsed: 'escalate', attempts: 0 });
  });

  it('after a failed load, the next ready() loads again, and corrections work from then on', async () => {
    vi.resetModules();
    let attempts = 0;
    vi.doMock(RULE, async (importOriginal) => {
      attempts += 1;
      if (attempts === 1) throw new Error('chunk failed to load');
      return importOriginal();
    });
    const api: typeof Api = await import('../src/index.js');
    const orchestrator = new api.ErrorRecoveryOrchestrator();
    await expect(orchestrator.ready()).rejects.toBeDefined();
    await orchestrator.ready(); // loads again, and succeeds
    expect(attempts).toBe(2);
    const result = await orchestrator.handleError({ error: missingAsyncError(code) }, () => 'x');
    expect(result).toMatchObject({ success: true, strategyUsed: 'correct', attempts: 1 });
  });
});
