import type { ErrorPattern } from '../patterns/errorPattern.js';

/**
 * The built-in pattern for a call refused by a circuit breaker: it matches a
 * `BrokenCircuitError` by its name at the start of the error text
 * (`"BrokenCircuitError: Circuit "model-api" is open: …"`), with priority 11, above every
 * default pattern, and its plan is alternative → degrade → escalate: a plan never
 * retries into an open circuit.
 *
 * In plain words: what `withRecovery` adds to its patterns when it is given a `breaker`;
 * add it to a table of your own when a breaker sits upstream of the engine.
 *
 * | id | priority | errorType | plan |
 * |---|---|---|---|
 * | `circuit_open` | 11 | transient | alternative → degrade → escalate |
 *
 * @example
 * ```ts
 * import { BrokenCircuitError, circuitOpenPattern, createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * const classifier = createClassifier([circuitOpenPattern, ...defaultPatterns]);
 * classifier.classify(new BrokenCircuitError('model-api', 'open', 5000)).plan;
 * // → ['alternative', 'degrade', 'escalate']
 * ```
 */
export const circuitOpenPattern: ErrorPattern = /* @__PURE__ */ Object.freeze({
  id: 'circuit_open',
  errorType: 'transient',
  match: /^BrokenCircuitError: /,
  strategy: Object.freeze(['alternative', 'degrade', 'escalate'] as const),
  priority: 11,
});
