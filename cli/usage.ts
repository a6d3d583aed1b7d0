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
    --await-human           escalated reviews wait; a scripted reviewer resolves them
  demo --fleet              worker processes against a flaky local service, without and
                            with a circuit breaker and a retry budget, side by side
    --workers N             worker processes (default 4)
    --callers N             concurrent callers per worker (default 25)
    --redis URL             share the breaker and budget through Redis
  classify "<message>"      which pattern matches a message, its plan, and the runners-up
    --patterns <file.json|file.yaml>
                            a pattern file instead of the default patterns
  validate <file.json|file.yaml>
                            check a pattern file (native or Python dialect);
                            exit 1 with one line per problem
  escalations list          the escalations waiting for a person, fleet-wide
  escalations resolve ID    resume one: --value <json> | --retry | --abort [--reason …] |
                            --complete
    --redis URL             the Redis the fleet shares (required)
    --prefix P              the store's key prefix (default rx-recovery)
  dashboard                 a live page of recovery on 127.0.0.1, updated as it happens;
                            resolve escalations from it (the printed link holds a token)
    --demo                  show the code-generation workflow, a breaker and a review
                            desk, live
    --port N                the port to listen on (default 0: a free one)
    --redis URL             show the fleet sharing a Redis store: every process's shared
                            breakers (state, transitions, counts) and budgets (balance),
                            read-only, and its waiting escalations
    --prefix P              the store's key prefix (default rx-recovery)
  help                      this text
  --version                 the package's version`;

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
