import { withRecovery } from '../src/index.js';
import type { MarbleCase } from './case.js';

const timeout = new Error('Request timed out');
const importError = new Error("Cannot find module './renderer'");
const validation = new Error('ValidationError: field "name" missing');

export const withRecoveryCases: readonly MarbleCase[] = [
  {
    title: 'withRecovery: a timeout is retried after 1 s, 2 s and 4 s, then escalated',
    operator: 'withRecovery()',
    source: '--a--#',
    sourceError: timeout,
    build: () => withRecovery(),
    expected: '--a 1004ms a 2004ms a 4004ms a--#',
    expectedError: {
      name: 'EscalationError',
      message: 'Escalated to a human: Error: Request timed out',
    },
    subscriptions: ['^----!', '1005ms ^----!', '3010ms ^----!', '7015ms ^----!'],
  },
  {
    title: 'withRecovery: a missing module switches to an alternative source',
    operator: 'withRecovery(defaultPatterns, { alternatives: { import: [() => b$] } })',
    source: '--#',
    sourceError: importError,
    build: ({ cold }) =>
      withRecovery(undefined, { alternatives: { import: [() => cold('--b|')] } }),
    expected: '----b|',
    subscriptions: ['^-!'],
  },
  {
    title: 'withRecovery: a validation error degrades to a stub',
    operator:
      "withRecovery(defaultPatterns, { degradation: { levels: [{ name: 'stub', value: 's' }] } })",
    source: '--a--#',
    sourceError: validation,
    build: () =>
      withRecovery<unknown>(undefined, { degradation: { levels: [{ name: 'stub', value: 's' }] } }),
    expected: '--a--(s|)',
    subscriptions: ['^----!'],
  },
];
