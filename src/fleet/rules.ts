import { describeValue, number, type Rule, rule, satisfies, string } from '../config/check.js';
import { isRecoveryHub } from '../observability/hub.js';

/** What is wrong with `value` as a number (`NaN` is not one), or `false`. */
const notANumber = (value: unknown) =>
  (typeof value !== 'number' || Number.isNaN(value)) &&
  `expected number, got ${describeValue(value)}`;

/** A fraction in (0, 1]. */
export const fraction: Rule = /* @__PURE__ */ rule(
  (value) =>
    notANumber(value) ||
    (!((value as number) > 0 && (value as number) <= 1) && 'must be > 0 and ≤ 1'),
);

/** A `hub` option. */
export const hubRule: Rule = /* @__PURE__ */ satisfies(
  isRecoveryHub,
  'must be a RecoveryHub (createRecoveryHub)',
);

/** A finite number > 0. */
export const positive: Rule = /* @__PURE__ */ rule(
  (value) =>
    notANumber(value) ||
    (!Number.isFinite(value) ? 'must be a finite number' : (value as number) <= 0 && 'must be > 0'),
);

/** A number ≥ 0. */
export const nonNegative: Rule = /* @__PURE__ */ number({ min: 0 });

/** A `name` option: a non-empty string. */
export const nameRule: Rule = /* @__PURE__ */ string(true);
