import { isRecoveryConfigError, type RecoverySignal } from '../../src/index.js';

/** A signal observer that keeps what it is told: `signals` to pass in, `log` to read. */
export function keptSignals() {
  const log: RecoverySignal[] = [];
  return { log, signals: { next: (signal: RecoverySignal) => void log.push(signal) } };
}

/** What `build` throws, so its class and exact message can be asserted. */
export function thrownBy(build: () => unknown): unknown {
  try {
    build();
  } catch (thrown) {
    return thrown;
  }
  throw new Error('expected the call to throw');
}

/**
 * The lines of the RecoveryConfigError `build` throws, or `[]` when it throws nothing; any
 * other throw fails the test.
 */
export function issuesOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (isRecoveryConfigError(error)) return error.issues;
    throw error;
  }
  return [];
}
