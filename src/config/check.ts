import type { SchedulerLike } from 'rxjs';
import { RecoveryConfigError } from './RecoveryConfigError.js';

/**
 * Option checks without a schema library: the main entry must stay small, and these few
 * rules cover every option an operator takes. A rule looks at one value and appends
 * `path: problem` lines; nothing is thrown until every option has been looked at, so one
 * {@link RecoveryConfigError} names every bad path. Defaults are applied by the code that
 * reads the options, next to the option's documentation, not here.
 */
export type Rule = (value: unknown, path: string, issues: string[]) => void;

/** How a value is named in a problem line: short, and never by calling user code. */
export function describeValue(value: unknown): string {
  const type = typeof value;
  return value === undefined
    ? 'nothing'
    : Array.isArray(value)
      ? 'an array'
      : type === 'string'
        ? JSON.stringify(
            (value as string).length > 40 ? `${(value as string).slice(0, 40)}…` : value,
          )
        : value === null || type === 'number' || type === 'boolean'
          ? String(value)
          : type === 'object'
            ? 'an object'
            : `a ${type}`;
}

/** Any object (not `null`): a test that never calls user code. */
const isAnObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** A plain-object test that never calls user code (a Proxy's traps excepted). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return isAnObject(value) && !Array.isArray(value);
}

/**
 * Whether `options` is an empty plain object (`{}`): what an operator called without
 * options gets, so that the operator built for it can be reused.
 */
export function isEmptyOptions(options: unknown): boolean {
  if (!isObject(options) || Object.getPrototypeOf(options) !== Object.prototype) return false;
  for (const _ in options) return false;
  return true;
}

/** `expected <what>, got <value>`. */
const expected = (what: string, value: unknown) => `expected ${what}, got ${describeValue(value)}`;

/** A rule from a function that names the value's problem, or returns nothing when it is fine. */
export const rule =
  (problem: (value: unknown) => string | false | undefined): Rule =>
  (value, path, issues) => {
    const found = problem(value);
    if (found) issues.push(`${path}: ${found}`);
  };

/** The path of the field `key` of the value at `path` (`''` for a value at the root). */
const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/**
 * An object with exactly these keys, optional unless listed in `required`: an unknown key (a
 * typo such as `maxRetry`) is a problem; a key set to `undefined` counts as absent.
 */
export function shape(
  fields: Readonly<Record<string, Rule>>,
  required: readonly string[] = [],
): Rule {
  return (value, path, issues) => {
    if (!isObject(value)) {
      issues.push(`${path}: ${expected('object', value)}`);
      return;
    }
    for (const key of required) {
      if (value[key] !== undefined) continue;
      // A missing function is best described by its signature: its own rule says it.
      const rule = fields[key] as (Rule & { signature?: string }) | undefined;
      if (rule?.signature === undefined) issues.push(`${join(path, key)}: required`);
      else rule(undefined, join(path, key), issues);
    }
    // The known options in their documented order, then every unknown one.
    for (const key of Object.keys(fields)) {
      if (value[key] !== undefined) (fields[key] as Rule)(value[key], join(path, key), issues);
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(fields, key)) issues.push(`${join(path, key)}: unknown option`);
    }
  };
}

/** A number: `int` for whole numbers, `min` inclusive; `Infinity` only with `infinite`. */
export const number = ({
  min = -Infinity,
  max = Infinity,
  int,
  infinite,
}: {
  min?: number | undefined;
  int?: boolean | undefined;
  infinite?: boolean | undefined;
  max?: number | undefined;
} = {}): Rule =>
  rule((value) =>
    typeof value !== 'number' || Number.isNaN(value)
      ? expected('number', value)
      : !(value === Infinity && infinite) &&
        (!Number.isFinite(value)
          ? 'must be a finite number'
          : int && !Number.isInteger(value)
            ? 'must be a whole number'
            : value < min
              ? `must be ≥ ${min}`
              : value > max && `must be ≤ ${max}`),
  );

/** The longest wait a JavaScript timer can hold; a longer one fires at once (after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A wait in ms that becomes a timer: ≥ `min`, and no longer than a timer can hold
 * ({@link MAX_TIMER_MS}, about 24.8 days), so that no timer ever fires early.
 */
export const delay = (min = 0): Rule => number({ min, max: MAX_TIMER_MS });

/** `true` or `false`. */
export const boolean: Rule = /* @__PURE__ */ rule(
  (value) => typeof value !== 'boolean' && expected('boolean', value),
);

/** A string; `nonEmpty` refuses `''`. */
export const string = (nonEmpty = false): Rule =>
  rule((value) =>
    typeof value !== 'string'
      ? expected('string', value)
      : nonEmpty && value === '' && 'must not be empty',
  );

/** One of `values`. */
export const oneOf = (values: readonly string[]): Rule =>
  rule(
    (value) =>
      !values.includes(value as string) &&
      `must be one of ${values.join(', ')}, got ${describeValue(value)}`,
  );

/** A function; `signature` says which, in the problem line. */
export const fn = (signature: string): Rule =>
  Object.assign(
    rule((value) => typeof value !== 'function' && `must be a function ${signature}`),
    { signature },
  );

/** An array whose items each pass `item`. */
export const arrayOf =
  (item: Rule, options: { nonEmpty?: boolean } = {}): Rule =>
  (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push(`${path}: ${expected('array', value)}`);
      return;
    }
    if (options.nonEmpty === true && value.length === 0) issues.push(`${path}: must not be empty`);
    // Every index, holes of a sparse array included (forEach would skip them).
    for (let index = 0; index < value.length; index++)
      item(value[index], `${path}[${index}]`, issues);
  };

/** A record whose values each pass `item`. */
export const recordOf =
  (item: Rule): Rule =>
  (value, path, issues) => {
    if (!isObject(value)) {
      issues.push(`${path}: ${expected('object', value)}`);
      return;
    }
    for (const key of Object.keys(value)) item(value[key], join(path, key), issues);
  };

/** Any value that passes `test`; `message` otherwise. */
export const satisfies = (test: (value: unknown) => boolean, message: string): Rule =>
  rule((value) => !test(value) && message);

/** Any object (a `Subject`, an `{ next }`, a class instance). */
export const anObject = (message: string): Rule => satisfies(isAnObject, message);

/** Where signals or metrics go. */
export const observer: Rule = /* @__PURE__ */ anObject(
  'must be an observer ({ next }) or a Subject',
);

/** A `scheduler` option: anything with `now()` and `schedule()`. */
export const scheduler: Rule = /* @__PURE__ */ satisfies(
  (value) =>
    isAnObject(value) &&
    typeof (value as SchedulerLike).now === 'function' &&
    typeof (value as SchedulerLike).schedule === 'function',
  'must be a SchedulerLike',
);

/** Throws one {@link RecoveryConfigError} naming every problem, when there is any. */
export function throwIfAny(issues: readonly string[]): void {
  if (issues.length > 0) throw new RecoveryConfigError(issues);
}

/** Checks `value` with `rule` at `path`, and throws when anything is wrong. */
export function check(rule: Rule, value: unknown, path: string): void {
  const issues: string[] = [];
  rule(value, path, issues);
  throwIfAny(issues);
}
