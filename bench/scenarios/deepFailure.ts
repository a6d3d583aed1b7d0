import type { BenchConfig } from '../config.js';
import { DEEP_VARIANTS, type DeepOutcome, type DeepRun, type DeepVariant } from '../deep.js';
import { median, type ScenarioResult, type VariantResult, withRatios } from '../harness.js';
import { lastJsonLine, runChild } from '../spawn.js';

export const DEEP_BASELINE = DEEP_VARIANTS['rxjs-retry-queue-action'].name;

function verdict(run: DeepRun | undefined, timedOut: boolean, crashed: string | undefined): string {
  if (timedOut) return 'hang: killed by the bench timeout';
  if (crashed !== undefined) return `crashed: ${crashed}`;
  if (run === undefined) return 'no report';
  const subs = run.subscriptions.toLocaleString('en-US');
  switch (run.outcome) {
    case 'completed':
      return `completed (${subs} subscriptions)`;
    case 'error':
      return `${run.error} after ${subs} subscriptions`;
    case 'stalled':
      return `stalled: neither completes nor errors, after ${subs} subscriptions`;
  }
}

/**
 * One subscription whose source fails synchronously `deepFailures` times under an unlimited
 * zero-delay retry plan. Each variant runs in a child process of its own, killed after a
 * timeout, because RxJS's overflow the stack, stall, or can wedge queueScheduler.
 */
export async function deepFailure(config: BenchConfig): Promise<ScenarioResult> {
  const n = config.deepFailures;
  const variants: Omit<VariantResult, 'ratio'>[] = [];
  const entries = Object.entries(DEEP_VARIANTS) as [DeepVariant, { name: string; note: string }][];
  const spawnOne = (key: DeepVariant) =>
    runChild('bench/deep.ts', [key, String(n), String(config.deepRepeats)], {
      timeoutMs: config.childTimeoutMs,
    });
  const started = config.parallelChildren ? entries.map(([key]) => spawnOne(key)) : [];
  for (const [index, [key, { name, note }]] of entries.entries()) {
    const child = await (started[index] ?? spawnOne(key));
    const report = lastJsonLine<DeepOutcome>(child.stdout);
    const crashed =
      report === undefined && !child.timedOut
        ? (child.stderr
            .trim()
            .split('\n')
            .find((line) => /Error/.test(line)) ?? `exit ${child.code ?? child.signal}`)
        : undefined;
    const runs = report?.runs ?? [];
    const completed = runs.filter((r) => r.outcome === 'completed').map((r) => r.ms);
    const wedged = runs.some((r) => !r.queueSchedulerWorks);
    const worst =
      runs.find((r) => !r.queueSchedulerWorks) ??
      runs.find((r) => r.outcome !== 'completed') ??
      runs[runs.length - 1];
    variants.push({
      name,
      note,
      median: completed.length > 0 ? median(completed) : null,
      min: completed.length > 0 ? Math.min(...completed) : null,
      max: completed.length > 0 ? Math.max(...completed) : null,
      extra: {
        outcome: verdict(worst, child.timedOut, crashed),
        completedRuns: `${completed.length}/${runs.length}`,
        nsPerFailure: completed.length > 0 ? (median(completed) * 1e6) / n : null,
        queueScheduler: report === undefined ? '—' : wedged ? 'WEDGED' : 'works',
        asyncScheduler:
          report === undefined ? '—' : report.asyncSchedulerWorks ? 'works' : 'does not fire',
      },
    });
  }
  return {
    id: 'deep-synchronous-failure',
    title: `Deep synchronous failure: one subscription, ${n.toLocaleString('en-US')} synchronous failures in a row, then a value — ms per run`,
    unit: 'ms/run',
    baseline: DEEP_BASELINE,
    variants: withRatios(variants, DEEP_BASELINE),
    columns: [
      { key: 'outcome', title: 'outcome' },
      { key: 'completedRuns', title: 'runs completed' },
      { key: 'nsPerFailure', title: 'ns/failure' },
      { key: 'queueScheduler', title: 'queueScheduler after' },
      { key: 'asyncScheduler', title: 'asyncScheduler after' },
    ],
    notes: [
      `Each variant runs in its own child process (node --import tsx bench/deep.ts <variant>), ${config.deepRepeats} run(s), killed after ${config.childTimeoutMs / 1000} s. After each run a probe is scheduled on queueScheduler: if it does not run at once, the scheduler is wedged (its _active flag stuck) for the rest of the process.`,
      'Median and ratio cover completed runs only. The outcome shown is the worst run of the variant.',
    ],
  };
}
