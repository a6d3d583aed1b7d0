import { type MonoTypeOperatorFunction, of, retry } from 'rxjs';
import type { BenchConfig } from '../config.js';
import { interleave, type ScenarioResult, sink, type Variant } from '../harness.js';
import { type ErrorPattern, retryBackoff, withRecovery } from '../lib.js';

export const BUILD_BASELINE = 'RxJS retry({ count: 3, delay: 1000 })';
export const BUILD_RETRY_BACKOFF = 'retryBackoff()';
export const BUILD_WITH_RECOVERY = 'withRecovery() (default patterns)';

/** Operator factory calls per measured call: one build is far below tinybench's resolution. */
const BATCH = 100;

/**
 * Ten patterns as a user's own table would hold: string and RegExp matches, plans of one
 * and several steps, priorities set and not; declared once, as a module constant.
 */
const CUSTOM_PATTERNS: readonly ErrorPattern[] = Object.freeze([
  {
    id: 'llm_rate_limited',
    errorType: 'transient',
    match: /\b429\b|rate.?limit/i,
    strategy: ['retry', 'escalate'],
    maxRetries: 5,
    priority: 9,
  },
  {
    id: 'llm_overloaded',
    errorType: 'transient',
    match: 'overloaded|HTTP 529',
    strategy: 'retry',
    priority: 8,
  },
  {
    id: 'llm_context_length',
    errorType: 'validation',
    match: /context.length|maximum context/i,
    strategy: 'degrade',
    priority: 7,
  },
  {
    id: 'llm_bad_json',
    errorType: 'syntax',
    match: 'Unexpected token .* in JSON',
    strategy: ['retry', 'degrade'],
    maxRetries: 2,
  },
  {
    id: 'tool_not_found',
    errorType: 'import',
    match: /tool "[^"]+" not found/,
    strategy: ['alternative', 'escalate'],
  },
  {
    id: 'render_failed',
    errorType: 'template',
    match: /render(?:ing)? failed/i,
    strategy: 'alternative',
  },
  {
    id: 'schema_mismatch',
    errorType: 'validation',
    match: 'does not match schema',
    strategy: 'degrade',
    priority: 4,
  },
  {
    id: 'db_timeout',
    errorType: 'timeout',
    match: /query timed out|ETIMEDOUT/,
    strategy: ['retry', 'escalate'],
    maxRetries: 3,
    priority: 6,
  },
  {
    id: 'db_deadlock',
    errorType: 'transient',
    match: 'deadlock detected',
    strategy: 'retry',
    maxRetries: 4,
  },
  {
    id: 'quota_exceeded',
    errorType: 'quorum',
    match: /quota \w+ exceeded/i,
    strategy: 'escalate',
    priority: 2,
  },
] satisfies ErrorPattern[]);

const alternative = () => of(0);

/**
 * What building an operator costs — the factory call that a `pipe(…)` makes, not applying
 * it to a source and not subscribing: RxJS `retry` against ours, with default and explicit
 * options. Each measured call builds {@link BATCH} operators; the figure is ns per build.
 * Option objects are written inline, as in a user's pipe, so each build gets fresh ones.
 */
export async function construction(config: BenchConfig): Promise<ScenarioResult> {
  const builders: [string, () => MonoTypeOperatorFunction<number>, string?][] = [
    [BUILD_BASELINE, () => retry({ count: 3, delay: 1000 })],
    [BUILD_RETRY_BACKOFF, () => retryBackoff()],
    [
      'retryBackoff({ maxRetries: 5, baseDelayMs: 100 })',
      () => retryBackoff({ maxRetries: 5, baseDelayMs: 100 }),
    ],
    [
      BUILD_WITH_RECOVERY,
      () => withRecovery(),
      'the default table: one compiled table should be reused by every call',
    ],
    [
      'withRecovery(undefined, { retry, alternatives, degradation })',
      () =>
        withRecovery<number>(undefined, {
          retry: { baseDelayMs: 100, maxDelayMs: 2000, jitter: 'full' },
          alternatives: { import_not_found: [alternative], template: [alternative] },
          degradation: {
            levels: [
              { name: 'cached', source: alternative },
              { name: 'empty', value: -1 },
            ],
          },
        }),
      'default patterns; options validated at every build',
    ],
    [
      'withRecovery(custom table of 10 patterns)',
      () => withRecovery(CUSTOM_PATTERNS),
      'the same frozen array each call, as a module constant in a user’s code',
    ],
  ];
  // Each must build an operator that works.
  for (const [name, build] of builders) {
    const operator = build();
    if (typeof operator !== 'function') throw new Error(`pipe construction: ${name} built nothing`);
    let got: number | undefined;
    of(7)
      .pipe(operator)
      .subscribe((v) => {
        got = v;
      });
    if (got !== 7) throw new Error(`pipe construction: ${name} did not pass a value through`);
  }
  const variants: Variant[] = builders.map(([name, build, note]) => ({
    name,
    fn: () => {
      let built: unknown;
      for (let i = 0; i < BATCH; i++) built = build();
      if (typeof built === 'function') sink.value += 1;
    },
    units: BATCH,
    ...(note === undefined ? {} : { note }),
  }));
  return {
    id: 'pipe-construction',
    title:
      'Pipe construction: building an operator (the factory call), not running it — ns per build',
    unit: 'ns/build',
    baseline: BUILD_BASELINE,
    variants: await interleave(variants, BUILD_BASELINE, config.timing),
    notes: [
      `Each measured call builds ${BATCH} operators; ns per build = sample / ${BATCH}. Validation of options and the classifier's compile happen here (DESIGN.md: validate eagerly when the pipe is built); applying the operator to a source and subscribing are not counted.`,
    ],
  };
}
