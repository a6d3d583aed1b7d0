import { Bench, type Task } from 'tinybench';

/** One thing measured in a scenario. */
export interface Variant {
  readonly name: string;
  /** One call of the measured function; sync or returning a promise. */
  readonly fn: () => unknown;
  /** True when `fn` returns a promise. */
  readonly async?: boolean;
  /** How many units (values, attempts, classifications…) one call of `fn` stands for. */
  readonly units: number;
  readonly note?: string;
}

/** One variant's figures, in the scenario's unit. */
export interface VariantResult {
  readonly name: string;
  /** Median over the measured rounds (each round's figure is that round's median sample). */
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** `median / baseline median`; null when either is missing. */
  readonly ratio: number | null;
  readonly note?: string;
  /** Anything else the scenario reports about this variant. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** One table of the report. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** The unit of median/min/max, e.g. `ns/value`. */
  readonly unit: string;
  /** The variant every ratio is relative to; null when ratios do not apply. */
  readonly baseline: string | null;
  /** Show the min–max column (false where there is a single sample). @default true */
  readonly spread?: boolean;
  readonly variants: readonly VariantResult[];
  readonly notes?: readonly string[];
  /** Extra columns, taken from each variant's `extra`, in this order. */
  readonly columns?: readonly { readonly key: string; readonly title: string }[];
}

export interface InterleaveOptions {
  /** Measured rounds: each variant runs once per round, in round-robin order. */
  readonly rounds: number;
  /** Rounds run the same way first, and discarded. */
  readonly warmupRounds: number;
  /** tinybench time budget of one variant in one round, in ms. */
  readonly timeMs: number;
  /** tinybench minimum samples of one variant in one round. */
  readonly minSamples: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median sample of a task's last run, in ms. */
function medianLatencyMs(task: Task): number {
  const { result } = task;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`${task.name}: tinybench run ${result.state}`);
  return result.latency.p50;
}

/**
 * Runs every variant once per round, round-robin (the starting variant rotates each round),
 * after `warmupRounds` discarded rounds. Each run is a tinybench run of its own; its median
 * sample, divided by `units`, is the round's figure in ns per unit. Returns, per variant,
 * the median and the min–max of the round figures, and the ratio to `baseline`.
 */
export async function interleave(
  variants: readonly Variant[],
  baseline: string,
  options: InterleaveOptions,
): Promise<VariantResult[]> {
  const bench = new Bench({
    time: options.timeMs,
    iterations: options.minSamples,
    warmup: false,
    throws: true,
  });
  for (const variant of variants) {
    bench.add(variant.name, variant.fn, { async: variant.async === true });
  }
  const tasks = bench.tasks;
  const figures = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const total = options.warmupRounds + options.rounds;
  for (let round = 0; round < total; round++) {
    for (let k = 0; k < tasks.length; k++) {
      const index = (round + k) % tasks.length;
      const task = tasks[index] as Task;
      const variant = variants[index] as Variant;
      task.reset(false);
      await task.run();
      const ms = medianLatencyMs(task);
      if (round >= options.warmupRounds)
        figures.get(variant.name)?.push((ms * 1e6) / variant.units);
    }
  }
  const medians = new Map(variants.map((v) => [v.name, median(figures.get(v.name) ?? [])]));
  const base = medians.get(baseline);
  if (base === undefined) throw new Error(`baseline ${baseline} is not a variant`);
  return variants.map((variant) => {
    const values = figures.get(variant.name) ?? [];
    const med = medians.get(variant.name) as number;
    return {
      name: variant.name,
      median: med,
      min: Math.min(...values),
      max: Math.max(...values),
      ratio: med / base,
      ...(variant.note === undefined ? {} : { note: variant.note }),
    };
  });
}

/** Ratio of each variant to the baseline, for results measured outside {@link interleave}. */
export function withRatios(
  results: readonly Omit<VariantResult, 'ratio'>[],
  baseline: string,
): VariantResult[] {
  const base = results.find((r) => r.name === baseline)?.median ?? null;
  return results.map((r) => ({
    ...r,
    ratio: base === null || r.median === null || base === 0 ? null : r.median / base,
  }));
}

/** A sink the measured functions write to, so the engine cannot drop their work. */
export const sink = { value: 0 };
