import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';

/**
 * Thrown when a pattern table or operator options are invalid. Its message has one line
 * per problem, each naming the path that is wrong (`patterns[2].maxRetries: must be ≥ 0`);
 * `issues` holds the same lines as an array.
 *
 * In plain words: a configuration mistake, reported when the classifier or the pipe is
 * built (never at subscribe time), every problem at once. Recognise it with
 * {@link isRecoveryConfigError}, which works across copies of the package.
 *
 * @example
 * ```ts
 * import { parsePatterns, RecoveryConfigError } from 'rx-recovery';
 *
 * try {
 *   parsePatterns([
 *     { id: 'slow', errorType: 'timeout', match: 'timed out', strategy: 'retry', maxRetries: -1 },
 *     { id: 'slow', errorType: 'timeout', match: '(unclosed', strategy: 'pray', maxRetry: 2 },
 *   ]);
 * } catch (error) {
 *   if (error instanceof RecoveryConfigError) console.log(error.issues);
 *   // → ['patterns[0].maxRetries: must be ≥ 0',
 *   //    'patterns[1].match: invalid regular expression: /(unclosed/: Unterminated group',
 *   //    'patterns[1].strategy: must be one of retry, alternative, degrade, correct, escalate, got "pray"',
 *   //    'patterns[1].maxRetry: unknown option',
 *   //    'patterns[1].id: duplicate id "slow" (first at patterns[0])']
 * }
 * ```
 */
export class RecoveryConfigError extends Error {
  /** Always `'RecoveryConfigError'`. */
  override readonly name = 'RecoveryConfigError';
  /** Brand: always `true`. What {@link isRecoveryConfigError} checks, across copies of the package. */
  readonly isRecoveryConfigError = true;
  /** One line per problem, `path: what is wrong`. */
  readonly issues: readonly string[];

  /**
   * @param issues One line per problem, `path: what is wrong`; the message joins them
   * with newlines.
   */
  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}

/**
 * True for a {@link RecoveryConfigError}, also when it comes from another copy of the
 * package (ESM and CJS copies loaded side by side), where `instanceof` fails. It checks
 * the `isRecoveryConfigError` brand.
 *
 * @example
 * ```ts
 * import { isRecoveryConfigError, withRecovery } from 'rx-recovery';
 *
 * try {
 *   generation$.pipe(withRecovery(undefined, { maxAttempts: -1 }));
 * } catch (error) {
 *   if (isRecoveryConfigError(error)) console.error(error.message); // → options.maxAttempts: must be ≥ 0
 *   else throw error;
 * }
 * isRecoveryConfigError(new Error('maxAttempts: must be ≥ 0')); // → false
 * ```
 * @param error Anything thrown.
 * @returns Whether `error` is a `RecoveryConfigError`.
 */
export function isRecoveryConfigError(error: unknown): error is RecoveryConfigError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isRecoveryConfigError?: unknown }).isRecoveryConfigError === true
  );
}

/** `patterns[2].match` from `['patterns', 2, 'match']`. */
function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** Plain-words messages for zod's built-in checks; a schema's own message wins over these. */
const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (
    issue.input === undefined &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_value')
  ) {
    return 'required';
  }
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    default:
      return undefined;
  }
};

/** How far into the input a union branch got before failing: the branch to report. */
function depth(issues: readonly z.core.$ZodIssue[]): number {
  let best = 0;
  for (const issue of issues) {
    const rank =
      issue.path.length > 0
        ? 3
        : issue.code === 'invalid_type'
          ? 0
          : issue.code === 'invalid_value'
            ? 1
            : 2;
    best = Math.max(best, rank);
  }
  return best;
}

function issueLines(root: string, issue: z.core.$ZodIssue): string[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${formatPath(root, [...issue.path, key])}: unknown option`);
    case 'invalid_union': {
      let branch: readonly z.core.$ZodIssue[] | undefined;
      for (const candidate of issue.errors) {
        if (depth(candidate) > 0 && (branch === undefined || depth(candidate) > depth(branch))) {
          branch = candidate;
        }
      }
      if (branch !== undefined) {
        return branch.flatMap((i) => issueLines(root, { ...i, path: [...issue.path, ...i.path] }));
      }
      return [`${formatPath(root, issue.path)}: ${issue.message}`];
    }
    default:
      return [`${formatPath(root, issue.path)}: ${issue.message}`];
  }
}

/** Turns zod issues into readable `path: problem` lines (never a raw dump). */
function formatIssues(root: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => issueLines(root, issue));
}

/**
 * Parses `input` with `schema`; on failure throws a {@link RecoveryConfigError} whose
 * lines are rooted at `root` (`options.retry.baseDelayMs: must be ≥ 0`).
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root: string,
): z.output<S> {
  const result = schema.safeParse(input, { error: configErrorMap, reportInput: true });
  if (!result.success) throw new RecoveryConfigError(formatIssues(root, result.error.issues));
  return result.data;
}

/**
 * Parses several arguments at once — `[schema, value, root]` each — so one
 * {@link RecoveryConfigError} names every bad path of all of them.
 */
export function parseAll<const S extends readonly z.ZodType[]>(
  ...checks: { [K in keyof S]: readonly [S[K], unknown, string] }
): { [K in keyof S]: z.output<S[K]> } {
  const lines: string[] = [];
  const outputs = checks.map(([schema, input, root]) => {
    const checked = checkConfig(schema, input, root);
    lines.push(...checked.lines);
    return checked.data;
  });
  if (lines.length > 0) throw new RecoveryConfigError(lines);
  return outputs as { [K in keyof S]: z.output<S[K]> };
}

/** Like {@link parseConfig}, returning the problem lines instead of throwing. */
export function checkConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root: string,
): { data?: z.output<S>; lines: string[] } {
  const result = schema.safeParse(input, { error: configErrorMap, reportInput: true });
  return result.success
    ? { data: result.data, lines: [] }
    : { lines: formatIssues(root, result.error.issues) };
}

/** A function-valued option; `signature` names what is expected in the error. */
export function functionOption<F extends (...args: never[]) => unknown>(signature: string) {
  return z.custom<F>((value) => typeof value === 'function', {
    error: `must be a function ${signature}`,
  });
}

/** A `scheduler` option: anything with `now()` and `schedule()`. */
export const SchedulerSchema = z.custom<SchedulerLike>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SchedulerLike).now === 'function' &&
    typeof (value as SchedulerLike).schedule === 'function',
  { error: 'must be a SchedulerLike' },
);
