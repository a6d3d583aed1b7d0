import { describeValue, type Rule } from '../config/check.js';
import { isRecoveryHub } from '../observability/hub.js';

/** The path of `key` inside `path`, as the check rules write it. */
export const pathOf = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Every rule, in order, on the same value. */
export const all =
  (...rules: readonly Rule[]): Rule =>
  (value, path, issues) => {
    for (const rule of rules) rule(value, path, issues);
  };

/** A fraction in (0, 1]. */
export const fraction: Rule = (value, path, issues) => {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    issues.push(`${path}: expected number, got ${describeValue(value)}`);
  } else if (!(value > 0 && value <= 1)) {
    issues.push(`${path}: must be > 0 and ≤ 1`);
  }
};

/** A `hub` option. */
export const hubRule: Rule = (value, path, issues) => {
  if (!isRecoveryHub(value)) issues.push(`${path}: must be a RecoveryHub (createRecoveryHub)`);
};

/** A finite number > 0. */
export const positive: Rule = (value, path, issues) => {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    issues.push(`${path}: expected number, got ${describeValue(value)}`);
  } else if (!Number.isFinite(value)) {
    issues.push(`${path}: must be a finite number`);
  } else if (value <= 0) {
    issues.push(`${path}: must be > 0`);
  }
};
