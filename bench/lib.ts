/**
 * The library under test. By default the sources, run through tsx (`../src/index.js`);
 * with `--lib=dist` (or BENCH_LIB=dist, which child processes inherit) the built package's
 * ESM entry `dist/esm/index.js` (one file per module), as users run it. tsx compiles with
 * esbuild's keepNames, which wraps every closure created at run time in a `__name(…)` call
 * (an Object.defineProperty): that taxes code creating closures per call, as the engine's
 * signal path does, and the built package does not pay it. `rx-recovery/redis` likewise:
 * `src/redis.ts`, or `dist/esm/redis.js` with `--lib=dist` ({@link loadRedisStore}). See
 * bench/README.md.
 */
import type * as Breakers from '../src/fleet/circuitBreaker.js';
import type * as Budgets from '../src/fleet/retryBudget.js';
import type * as Library from '../src/index.js';
import type * as BreakerOperator from '../src/operators/circuitBreaker.js';
import type * as RedisModule from '../src/redis.js';

const fromDist = process.argv.includes('--lib=dist') || process.env.BENCH_LIB === 'dist';
if (fromDist) process.env.BENCH_LIB = 'dist';

/** The built package's ESM entry, relative to this file. */
export const DIST_ENTRY = 'dist/esm/index.js';

const distEntry = `../${DIST_ENTRY}`;
const library = (
  fromDist ? await import(distEntry) : await import('../src/index.js')
) as typeof Library;

/** Which build the figures are of. */
export const LIBRARY = fromDist ? `${DIST_ENTRY} (the built package)` : 'src/index.ts through tsx';

/** True when the figures are of the built package. */
export const FROM_DIST = fromDist;

export const {
  createClassifier,
  createRecoveryHub,
  defaultPatterns,
  errorText,
  isRecoveryConfigError,
  retryBackoff,
  withRecovery,
} = library;
export type {
  Classifier,
  ErrorPattern,
  ResolvedErrorPattern,
  WithRecoveryOptions,
} from '../src/index.js';

/** The fleet API: the circuit breaker, its operator and the retry budget. */
export interface Fleet {
  readonly createCircuitBreaker: typeof Breakers.createCircuitBreaker;
  readonly circuitBreaker: typeof BreakerOperator.circuitBreaker;
  readonly createRetryBudget: typeof Budgets.createRetryBudget;
  /** Where it was loaded from, for the report. */
  readonly from: string;
}

/**
 * The fleet API from the main entry when it exports it; otherwise, with `--lib=src`, from
 * its module paths (`src/fleet/*.ts`, `src/operators/circuitBreaker.ts`); otherwise (the
 * built package does not export it yet) a sentence saying why there is none.
 */
async function loadFleet(): Promise<Fleet | string> {
  const main = library as typeof library & Partial<Omit<Fleet, 'from'>>;
  if (
    typeof main.createCircuitBreaker === 'function' &&
    typeof main.circuitBreaker === 'function' &&
    typeof main.createRetryBudget === 'function'
  ) {
    return {
      createCircuitBreaker: main.createCircuitBreaker,
      circuitBreaker: main.circuitBreaker,
      createRetryBudget: main.createRetryBudget,
      from: `the main entry (${fromDist ? DIST_ENTRY : 'src/index.ts'})`,
    };
  }
  if (fromDist) {
    return `the main entry ${DIST_ENTRY} does not export createCircuitBreaker, circuitBreaker and createRetryBudget yet: run with --lib=src (it loads them from their module paths)`;
  }
  try {
    const [breakers, operator, budgets] = await Promise.all([
      import('../src/fleet/circuitBreaker.js'),
      import('../src/operators/circuitBreaker.js'),
      import('../src/fleet/retryBudget.js'),
    ]);
    return {
      createCircuitBreaker: breakers.createCircuitBreaker,
      circuitBreaker: operator.circuitBreaker,
      createRetryBudget: budgets.createRetryBudget,
      from: 'their module paths (src/fleet/circuitBreaker.ts, src/operators/circuitBreaker.ts, src/fleet/retryBudget.ts): src/index.ts does not export them yet',
    };
  } catch (error) {
    return `src/fleet/circuitBreaker.ts, src/operators/circuitBreaker.ts or src/fleet/retryBudget.ts could not be loaded: ${String(error).split('\n')[0]}`;
  }
}

/** The fleet API, or why it is not available in this run. */
export const fleet: Fleet | string = await loadFleet();

/** `createRedisStore` (`rx-recovery/redis`), and where it was loaded from. */
export interface RedisEntry {
  readonly createRedisStore: typeof RedisModule.createRedisStore;
  readonly from: string;
}

/** The built package's Redis entry (`rx-recovery/redis`), relative to the repository root. */
export const DIST_REDIS_ENTRY = 'dist/esm/redis.js';

/**
 * `createRedisStore` from `dist/esm/redis.js` with `--lib=dist`, from `src/redis.ts`
 * otherwise; or a sentence saying why it could not be loaded. Loaded on demand: only the
 * redis scenario needs it (and ioredis behind it).
 */
export async function loadRedisStore(): Promise<RedisEntry | string> {
  const from = fromDist ? DIST_REDIS_ENTRY : 'src/redis.ts';
  const distRedis = `../${DIST_REDIS_ENTRY}`;
  try {
    const module = (
      fromDist ? await import(distRedis) : await import('../src/redis.js')
    ) as typeof RedisModule;
    if (typeof module.createRedisStore !== 'function') {
      return `${from} does not export createRedisStore`;
    }
    return { createRedisStore: module.createRedisStore, from };
  } catch (error) {
    return `${from} could not be loaded: ${String(error).split('\n')[0]}`;
  }
}
