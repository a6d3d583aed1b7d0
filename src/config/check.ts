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
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** A plain-object test that never calls user code (a Proxy's traps excepted). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

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
      issues.push(`${path}: expected object, got ${describeValue(value)}`);
      return;
    }
    for (const key of required) {
      if (value[key] !== undefined) continue;
      // A missing function is best described by its signature.
      const expected = (fields[key] as { signature?: string } | undefined)?.signature;
      issues.push(
        `${join(path, key)}: ${expected === undefined ? 'required' : `must be a function ${expected}`}`,
      );
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
export function number(
  options: { min?: number; int?: boolean; infinite?: boolean; max?: number } = {},
): Rule {
  return (value, path, issues) => {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      issues.push(`${path}: expected number, got ${describeValue(value)}`);
    } else if (value === Number.POSITIVE_INFINITY && options.infinite === true) {
      // "unlimited"
    } else if (!Number.isFinite(value)) {
      issues.push(`${path}: must be a finite number`);
    } else if (options.int === true && !Number.isInteger(value)) {
      issues.push(`${path}: must be a whole number`);
    } else if (options.min !== undefined && value < options.min) {
      issues.push(`${path}: must be ≥ ${options.min}`);
    } else if (options.max !== undefined && value > options.max) {
      issues.push(`${path}: must be ≤ ${options.max}`);
    }
  };
}

/** `true` or `false`. */
export const boolean: Rule = (value, path, issues) => {
  if (typeof value !== 'boolean') {
    issues.push(`${path}: expected boolean, got ${describeValue(value)}`);
  }
};

/** A string; `nonEmpty` refuses `''`. */
export function string(nonEmpty = false): Rule {
  return (value, path, issues) => {
    if (typeof value !== 'string') {
      issues.push(`${path}: expected string, got ${describeValue(value)}`);
    } else if (nonEmpty && value.length === 0) {
      issues.push(`${path}: must not be empty`);
    }
  };
}

/** One of `values`. */
export function oneOf(values: readonly string[]): Rule {
  return (value, path, issues) => {
    if (!values.includes(value as string)) {
      issues.push(`${path}: must be one of ${values.join(', ')}, got ${describeValue(value)}`);
    }
  };
}

/** A function; `signature` says which, in the problem line. */
export function fn(signature: string): Rule {
  const rule: Rule = (value, path, issues) => {
    if (typeof value !== 'function') issues.push(`${path}: must be a function ${signature}`);
  };
  return Object.assign(rule, { signature });
}

/** An array whose items each pass `item`. */
export function arrayOf(item: Rule, options: { nonEmpty?: boolean } = {}): Rule {
  return (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push(`${path}: expected array, got ${describeValue(value)}`);
      return;
    }
    if (options.nonEmpty === true && value.length === 0) issues.push(`${path}: must not be empty`);
    value.forEach((entry, index) => {
      item(entry, join(path, index), issues);
    });
  };
}

/** A record whose values each pass `item`. */
export function recordOf(item: Rule): Rule {
  return (value, path, issues) => {
    if (!isObject(value)) {
      issues.push(`${path}: expected object, got ${describeValue(value)}`);
      return;
    }
    for (const key of Object.keys(value)) item(value[key], join(path, key), issues);
  };
}

/** Any value that passes `test`; `message` otherwise. */
export function satisfies(test: (value: unknown) => boolean, message: string): Rule {
  return (value, path, issues) => {
    if (!test(value)) issues.push(`${path}: ${message}`);
  };
}

/** Any object (a `Subject`, an `{ next }`, a class instance). */
export const anObject = (message: string): Rule =>
  satisfies((value) => typeof value === 'object' && value !== null, message);

/** Where signals or metrics go. */
export const observer: Rule = anObject('must be an observer ({ next }) or a Subject');

/** A `scheduler` option: anything with `now()` and `schedule()`. */
export const scheduler: Rule = satisfies(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
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
