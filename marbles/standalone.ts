import { asyncKeywordCorrection } from '../src/codegen.js';
import {
  correctErrors,
  degradeGracefully,
  escalateOn,
  injectFaults,
  retryBackoff,
  switchToAlternative,
} from '../src/index.js';
import type { MarbleCase } from './case.js';

const flaky = new Error('connection reset');
const brokenCode = 'function load(url) {\n  return await fetch(url);\n}';
const missingAsync = Object.assign(new SyntaxError('await is only valid in async functions'), {
  source: brokenCode,
});

export const standaloneCases: readonly MarbleCase[] = [
  {
    title: 'retryBackoff: two retries after 10 ms and 20 ms, then the error goes through',
    operator: 'retryBackoff({ maxRetries: 2, baseDelayMs: 10 })',
    source: '-#',
    sourceError: flaky,
    build: () => retryBackoff({ maxRetries: 2, baseDelayMs: 10 }),
    expected: '33ms #',
    expectedError: flaky,
    subscriptions: ['^!', '11ms ^!', '32ms ^!'],
  },
  {
    title: 'switchToAlternative: the error switches to the next source',
    operator: 'switchToAlternative([() => b$])',
    source: '--a--#',
    sourceError: flaky,
    build: ({ cold }) => switchToAlternative([() => cold('--b|')]),
    expected: '--a----b|',
    subscriptions: ['^----!'],
  },
  {
    title: 'degradeGracefully: a failing level falls to the value level',
    operator:
      "degradeGracefully([{ name: 'reduced', source: () => r$ }, { name: 'stub', value: 's' }])",
    source: '--a--#',
    sourceError: flaky,
    build: ({ cold }) =>
      degradeGracefully([
        { name: 'reduced', source: () => cold('-#', undefined, flaky) },
        { name: 'stub', value: 's' },
      ]),
    expected: '--a---(s|)',
    subscriptions: ['^----!'],
  },
  {
    title: 'correctErrors: asyncKeywordCorrection adds the missing async and emits the code',
    operator: 'correctErrors([asyncKeywordCorrection])',
    source: '--#',
    sourceError: missingAsync,
    build: () => correctErrors([asyncKeywordCorrection]),
    expected: '--(c|)',
    expectedValues: { c: `async ${brokenCode}` },
    subscriptions: ['^-!'],
  },
  {
    title: 'escalateOn: the error escalates to a human',
    operator: 'escalateOn()',
    source: '--a--#',
    sourceError: flaky,
    build: () => escalateOn(),
    expected: '--a--#',
    expectedError: {
      name: 'EscalationError',
      message: 'Escalated to a human: Error: connection reset',
    },
    subscriptions: ['^----!'],
  },
  {
    title: 'injectFaults: the second value draws a failure (seed 1, rate 0.5)',
    operator: 'injectFaults({ rate: 0.5, seed: 1 })',
    source: '--a--b--c--|',
    build: () => injectFaults({ rate: 0.5, seed: 1 }),
    expected: '--a--#',
    expectedError: { name: 'FaultInjectedError', message: 'Fault injected by injectFaults' },
    subscriptions: ['^----!'],
  },
];
