import { availableParallelism, cpus } from 'node:os';

/** Sizes and budgets of one bench run; `--quick` shrinks everything so CI runs it in seconds. */
export interface BenchConfig {
  readonly quick: boolean;
  /** Values of the happy path's `range`. */
  readonly happyValues: number;
  /** Failures before success in the failure-path source. */
  readonly failures: number;
  /** Synchronous failures of the deep-failure subscription. */
  readonly deepFailures: number;
  /** Timed repetitions of a deep-failure variant that completes (in its child process). */
  readonly deepRepeats: number;
  /** Run the deep-failure children side by side (only --quick: it disturbs timing). */
  readonly parallelChildren: boolean;
  /** Kill a deep-failure child after this long: a hang. */
  readonly childTimeoutMs: number;
  /** Recoveries of each memory case. */
  readonly recoveries: number;
  readonly timing: {
    readonly rounds: number;
    readonly warmupRounds: number;
    readonly timeMs: number;
    readonly minSamples: number;
  };
}

export function benchConfig(quick: boolean): BenchConfig {
  return quick
    ? {
        quick,
        happyValues: 10_000,
        failures: 20,
        deepFailures: 20_000,
        deepRepeats: 1,
        parallelChildren: true,
        childTimeoutMs: 20_000,
        recoveries: 2_000,
        timing: { rounds: 1, warmupRounds: 0, timeMs: 5, minSamples: 1 },
      }
    : {
        quick,
        happyValues: 1_000_000,
        failures: 100,
        deepFailures: 100_000,
        deepRepeats: 7,
        parallelChildren: false,
        childTimeoutMs: 30_000,
        recoveries: 1_000_000,
        timing: { rounds: 10, warmupRounds: 2, timeMs: 100, minSamples: 3 },
      };
}

/** What the run was measured on, for results.json and the report header. */
export function machine() {
  const list = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
  };
}
