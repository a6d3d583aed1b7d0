import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asyncSignals,
  correctErrors,
  createCircuitBreaker,
  createClassifier,
  createRecoveryHub,
  createRetryBudget,
  degradeGracefully,
  ErrorRecoveryOrchestrator,
  escalateOn,
  hedge,
  injectFaults,
  isRecoveryConfigError,
  retryBackoff,
  switchToAlternative,
  withRecovery,
} from '../../src/index.js';

/**
 * "Invalid configuration throws RecoveryConfigError naming every bad path": whatever value
 * an option holds — a symbol, a bigint, a boxed number, an object without a prototype, a
 * function — building the operator either works or throws a RecoveryConfigError; it never
 * fails with a TypeError of its own arithmetic or string conversion.
 */
/** Values that have broken a check before, tried at every path of every factory. */
const awkward: readonly unknown[] = [
  Symbol('option'),
  1n,
  () => 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  Object.create(null),
  [Symbol('in an array')],
  // biome-ignore lint/suspicious/noSparseArray: a sparse array, on purpose
  [, ,],
  [undefined],
  new Number(5),
  '',
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  5e-324,
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withTypedArray: true,
    withSparseArray: true,
  }),
  fc.constantFrom<unknown>(...awkward),
);

/** A factory, the option paths it takes, and how to build it with `value` at `path`. */
type Target = readonly [
  name: string,
  paths: readonly string[],
  build: (options: object) => unknown,
];

const retryPaths = [
  'baseDelayMs',
  'maxDelayMs',
  'jitter',
  'random',
  'resetOnSuccess',
  'delayFromError',
  'maxDictatedDelayMs',
  'shouldRetry',
];
const commonPaths = [
  'context',
  'context.workflowId',
  'context.nodeName',
  'context.stepCount',
  'context.state',
  'context.correlationId',
  'signals',
  'metrics',
  'hub',
  'scheduler',
  'clock',
];

const targets: readonly Target[] = [
  ['retryBackoff', [...retryPaths, ...commonPaths, 'maxRetries', 'budget'], (o) => retryBackoff(o)],
  [
    'withRecovery',
    [
      ...commonPaths,
      'retry',
      ...retryPaths.map((p) => `retry.${p}`),
      'alternatives',
      'alternatives.timeout',
      'degradation',
      'degradation.levels',
      'corrections',
      'escalation',
      'escalation.onEscalate',
      'escalation.terminal',
      'escalation.await',
      'escalation.await.timeoutMs',
      'escalation.resolve',
      'unmatched',
      'maxAttempts',
      'attemptTimeoutMs',
      'deadlineMs',
      'breaker',
      'budget',
    ],
    (o) => withRecovery(undefined, o),
  ],
  ['switchToAlternative', commonPaths, (o) => switchToAlternative([() => [1]], o)],
  ['degradeGracefully', commonPaths, (o) => degradeGracefully([{ name: 'cached', value: 1 }], o)],
  ['correctErrors', [...commonPaths, 'maxRetries'], (o) => correctErrors([], o)],
  [
    'escalateOn',
    [...commonPaths, 'match', 'onEscalate', 'terminal', 'await', 'await.timeoutMs', 'resolve'],
    (o) => escalateOn(o),
  ],
  [
    'hedge',
    ['delayMs', 'maxHedged', 'sources', 'budget', 'scheduler'],
    (o) => hedge({ delayMs: 1, ...o }),
  ],
  [
    'injectFaults',
    ['rate', 'failCompletion', 'errors', 'seed', 'delayMs', 'scheduler'],
    (o) => injectFaults({ rate: 0.5, ...o }),
  ],
  [
    'createCircuitBreaker',
    [
      'name',
      'trip',
      'trip.consecutive',
      'trip.rate',
      'trip.minimumCalls',
      'trip.window',
      'trip.window.calls',
      'trip.window.ms',
      'slowCall',
      'slowCall.ms',
      'slowCall.rate',
      'openMs',
      'halfOpenCalls',
      'countsAsFailure',
      'scheduler',
      'hub',
      'store',
    ],
    (o) => createCircuitBreaker({ trip: { consecutive: 3 }, ...o }).dispose(),
  ],
  [
    'createRetryBudget',
    ['name', 'ratio', 'minPerSecond', 'ttlMs', 'scheduler', 'store'],
    (o) => createRetryBudget(o),
  ],
  ['createRecoveryHub', ['name', 'store'], (o) => createRecoveryHub(o)],
  ['createClassifier', ['unmatched'], (o) => createClassifier(undefined, o)],
  [
    'ErrorRecoveryOrchestrator',
    ['patterns', 'builtInCorrections', 'maxAttempts', 'deadlineMs', 'retry', 'retry.baseDelayMs'],
    (o) => new ErrorRecoveryOrchestrator({ builtInCorrections: false, ...o }),
  ],
];

/** `options` with `value` at the dotted `path` (the objects on the way made). */
function withValueAt(path: string, value: unknown): object {
  const keys = path.split('.');
  const root: Record<string, unknown> = {};
  let at = root;
  keys.forEach((key, index) => {
    if (index === keys.length - 1) {
      at[key] = value;
    } else {
      const next: Record<string, unknown> = {};
      at[key] = next;
      at = next;
    }
  });
  return root;
}

function outcome(build: () => unknown): string {
  try {
    build();
    return 'accepted';
  } catch (error) {
    return isRecoveryConfigError(error)
      ? 'refused'
      : `threw ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`;
  }
}

describe('any value at any option path: accepted, or a RecoveryConfigError', () => {
  it.each(targets)('%s', (_, paths, build) => {
    fc.assert(
      fc.property(fc.constantFrom(...paths), anyValue, (path, value) => {
        expect(['accepted', 'refused']).toContain(outcome(() => build(withValueAt(path, value))));
      }),
      { numRuns: 300 },
    );
  });

  it.each(targets)('%s: every awkward value at every path', (_, paths, build) => {
    for (const path of paths) {
      for (const value of awkward) {
        expect([path, outcome(() => build(withValueAt(path, value)))]).toEqual([
          path,
          expect.stringMatching(/^(accepted|refused)$/),
        ]);
      }
    }
  });

  it('asyncSignals: any source and mode', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (source, mode) => {
        expect(['accepted', 'refused']).toContain(
          outcome(() => asyncSignals(source as never, mode as never)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
