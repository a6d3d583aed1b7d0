/** A mistake in how the CLI was called: one line on stderr, exit code 2, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: rx-recovery <command> [options]

Commands:
  demo                      run the simulated code-generation workflow (what npm start runs)
    --contracts N           contracts to generate (default 50)
    --fault-rate F          base probability that a stage attempt fails, 0..1 (default 0.3)
    --seed N                seed of the fault injector: same seed, same run (default 42)
    --concurrency N         contracts in flight at once (default 4)
    --time-scale F          real ms per simulated ms; 0 runs as fast as possible (default 0.05)
    --json                  print the statistics as JSON only
  classify "<message>"      which pattern matches a message, its plan, and the runners-up
    --patterns FILE         a pattern file (JSON or YAML) instead of the default patterns
  validate FILE             check a pattern file (JSON, or YAML when it ends in .yaml/.yml);
                            exit 1 with one line per problem
  help                      this text`;

/** Parses a number option, or says in one line what is wrong with it. */
export function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min, max, integer }: { min: number; max: number; integer: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = integer ? 'a whole number' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${kind}, got "${raw}"`);
  }
  if (value < min || value > max) {
    throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}
