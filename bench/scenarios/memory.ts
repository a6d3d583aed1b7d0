import type { BenchConfig } from '../config.js';
import type { ScenarioResult, VariantResult } from '../harness.js';
import { MEMORY_CASES, type MemoryCase, type MemoryMeasurement } from '../memory.js';
import { fmtBytes } from '../report.js';
import { lastJsonLine, runChild } from '../spawn.js';

/**
 * Heap (after forced GC) before, during and after n recoveries, in a child process started
 * with --expose-gc. Retained = after − before; the figure is bytes per recovery.
 */
export async function memory(config: BenchConfig): Promise<ScenarioResult> {
  const n = config.recoveries;
  const child = await runChild('bench/memory.ts', [String(n)], {
    timeoutMs: 300_000,
    nodeArgs: ['--expose-gc'],
  });
  const measured = lastJsonLine<MemoryMeasurement[]>(child.stdout);
  if (measured === undefined) {
    throw new Error(
      `bench/memory.ts failed (exit ${child.code ?? child.signal}):\n${child.stderr}`,
    );
  }
  const variants: VariantResult[] = measured.map((m) => {
    const retained = m.after - m.before;
    const { name, note } = MEMORY_CASES[m.case as MemoryCase];
    return {
      name,
      note,
      median: retained / m.recoveries,
      min: null,
      max: null,
      ratio: null,
      extra: {
        before: fmtBytes(m.before),
        during: fmtBytes(m.during),
        after: fmtBytes(m.after),
        retained: fmtBytes(retained),
        retainedBytes: retained,
        liveGrowth: fmtBytes(m.during - m.before),
        usPerRecovery: (m.ms * 1000) / m.recoveries,
      },
    };
  });
  return {
    id: 'memory',
    title: `Memory: heap after forced GC around ${n.toLocaleString('en-US')} recoveries — bytes retained per recovery`,
    unit: 'B/recovery',
    baseline: null,
    spread: false,
    variants,
    columns: [
      { key: 'before', title: 'before' },
      { key: 'during', title: 'during (halfway)' },
      { key: 'after', title: 'after' },
      { key: 'retained', title: 'retained (after − before)' },
      { key: 'usPerRecovery', title: 'µs/recovery' },
    ],
    notes: [
      'node --expose-gc --import tsx bench/memory.ts <n>: heapUsed after three gc() calls; each case first warms up on min(n, 10,000) recoveries, so compiled code and lazily built state are not counted. One sample per case, so no min–max and no ratio.',
      'µs/recovery is the wall time of the loop divided by n, including the halfway GC: a rough figure, not a timing benchmark.',
    ],
  };
}
