/**
 * The library under test. By default the sources, run through tsx (`../src/index.js`);
 * with `--lib=dist` (or BENCH_LIB=dist, which child processes inherit) the built package
 * entry `dist/index.js`, as users run it. tsx compiles with esbuild's keepNames, which
 * wraps every closure created at run time in a `__name(…)` call (an Object.defineProperty):
 * that taxes code creating closures per call, as the engine's signal path does, and the
 * built package does not pay it. See bench/README.md.
 */
import type * as Library from '../src/index.js';

const fromDist = process.argv.includes('--lib=dist') || process.env.BENCH_LIB === 'dist';
if (fromDist) process.env.BENCH_LIB = 'dist';

const distEntry = '../dist/index.js';
const library = (
  fromDist ? await import(distEntry) : await import('../src/index.js')
) as typeof Library;

/** Which build the figures are of. */
export const LIBRARY = fromDist ? 'dist/index.js (the built package)' : 'src/index.ts through tsx';

export const {
  createClassifier,
  createRecoveryHub,
  defaultPatterns,
  errorText,
  retryBackoff,
  withRecovery,
} = library;
export type { Classifier, ErrorPattern, ResolvedErrorPattern } from '../src/index.js';
