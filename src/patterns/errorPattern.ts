import {
  arrayOf,
  boolean,
  describeValue,
  isObject,
  oneOf,
  type Rule,
  rule,
  string,
  throwIfAny,
} from '../config/check.js';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { ERROR_TYPES, type ErrorType, type RecoveryStrategy, STRATEGIES } from './errorTypes.js';
import { freeze } from './freeze.js';

/**
 * A regex source with optional flags: the form a pattern file uses for flags, since JSON
 * and YAML cannot hold a `RegExp`. Accepted wherever a pattern's `match` is.
 *
 * @example
 * ```ts
 * import { createClassifier, type RegexSource } from 'rx-recovery';
 *
 * const match: RegexSource = { source: 'deadlock detected|lock wait timeout', flags: 'i' };
 * const classifier = createClassifier([
 *   { id: 'deadlock', errorType: 'transient', match, strategy: 'retry' },
 * ]);
 * classifier.classify(new Error('Deadlock detected')).errorType; // → 'transient'
 * ```
 */
export interface RegexSource {
  /** The regex's source, as `RegExp#source` gives it: no slashes, backslashes as written. */
  source: string;
  /** The regex's flags (`'i'`, `'s'`, `'u'`…); `g` and `y` are dropped. @default '' (none) */
  flags?: string | undefined;
}

/**
 * An error pattern as users write it: which errors it matches (`match`), what type they
 * are (`errorType`), and the plan that recovers them (`strategy`). Checked when a
 * classifier or operator is built; an unknown key (a typo such as `maxRetry`) is an error.
 *
 * @example
 * ```ts
 * import { createClassifier, defaultPatterns, type ErrorPattern } from 'rx-recovery';
 *
 * const deadlock: ErrorPattern = {
 *   id: 'deadlock',
 *   errorType: 'transient',
 *   match: /deadlock detected/i,
 *   strategy: ['retry', 'escalate'],
 *   maxRetries: 5,
 *   priority: 9,
 *   metadata: { owner: 'platform-team' },
 * };
 * const classifier = createClassifier([...defaultPatterns, deadlock]);
 * classifier.classify(new Error('ERROR: deadlock detected')).pattern?.id; // → 'deadlock'
 * ```
 */
export interface ErrorPattern {
  /** Unique within a table; alternatives and budgets are keyed by it. */
  readonly id: string;
  /** The kind of failure the pattern recognises: the `errorType` of its classification. */
  readonly errorType: ErrorType;
  /** A RegExp, a regex source string (compiled without flags), or `{ source, flags }`. */
  readonly match: RegExp | string | RegexSource;
  /** One strategy, or a plan: the first step that still has budget runs. */
  readonly strategy: RecoveryStrategy | readonly RecoveryStrategy[];
  /** The budget of each `retry` and `correct` step; `Infinity` for unlimited. @default 3 */
  readonly maxRetries?: number | undefined;
  /** Higher runs first; equal priorities keep table order. @default 5 */
  readonly priority?: number | undefined;
  /**
   * Free-form data carried to escalation records and results. `fallbackLevel` (or
   * `fallback_level`) names the degradation level the pattern's `degrade` steps start from.
   */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Pattern files only: accept a `match` the backtracking check refuses. Patterns written
   * in code are code, compiled as given.
   * @default false
   */
  readonly allowUnsafeRegex?: boolean | undefined;
}

/**
 * An error pattern after validation: compiled `match` (without `g` and `y`), plan as an
 * array, defaults applied. Frozen. What `parsePatterns` returns and
 * {@link Classifier.patterns} holds.
 *
 * @example
 * ```ts
 * import { createClassifier, type ResolvedErrorPattern } from 'rx-recovery';
 *
 * const describe = (p: ResolvedErrorPattern) =>
 *   `${p.id}: ${p.match} → ${p.strategy.join(' → ')} (maxRetries ${p.maxRetries}, priority ${p.priority})`;
 *
 * createClassifier([
 *   { id: 'deadlock', errorType: 'transient', match: { source: 'deadlock', flags: 'gi' }, strategy: 'retry' },
 * ]).patterns.map(describe);
 * // → ['deadlock: /deadlock/i → retry (maxRetries 3, priority 5)']
 * ```
 */
export interface ResolvedErrorPattern {
  /** Unique within the table. */
  readonly id: string;
  /** The error type of errors it matches. */
  readonly errorType: ErrorType;
  /** The compiled regex (never global or sticky). */
  readonly match: RegExp;
  /** The plan, as an array. */
  readonly strategy: readonly RecoveryStrategy[];
  /** The budget of each `retry` and `correct` step (`Infinity`: unlimited). */
  readonly maxRetries: number;
  /** Higher runs first. */
  readonly priority: number;
  /** Free-form data carried to escalation records and results. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Present when the pattern gave it. */
  readonly allowUnsafeRegex?: boolean | undefined;
}

/** How a pattern table is checked beyond its shape: the files entry adds the regex check. */
export interface PatternCheckOptions {
  /**
   * Why a compiled `match` is refused, or `undefined` to accept it; skipped for patterns
   * that say `allowUnsafeRegex: true`. Patterns written in code are not checked.
   */
  readonly checkRegex?: (regex: RegExp) => string | undefined;
}

/** `expected <what>, got <value>`. */
const expected = (what: string, value: unknown) => `expected ${what}, got ${describeValue(value)}`;

/** One step of a plan. */
export const strategyRule: Rule = /* @__PURE__ */ oneOf(STRATEGIES);
const plan = /* @__PURE__ */ arrayOf(strategyRule, { nonEmpty: true });

/**
 * The checks of each field given, in the order problems are listed (the required ones are
 * {@link REQUIRED}). A check may return what the field resolves to (the compiled `match`).
 */
const FIELDS: Readonly<
  Record<keyof ErrorPattern, (value: unknown, path: string, issues: string[]) => unknown>
> = /* @__PURE__ */ freeze({
  id: /* @__PURE__ */ string(true),
  errorType: /* @__PURE__ */ oneOf(ERROR_TYPES),
  match: compileMatch,
  strategy: (value: unknown, path: string, issues: string[]) =>
    (Array.isArray(value) ? plan : strategyRule)(value, path, issues),
  maxRetries: /* @__PURE__ */ rule((value) =>
    typeof value !== 'number' || Number.isNaN(value)
      ? expected('number', value)
      : value !== Infinity && !Number.isInteger(value)
        ? 'must be a whole number'
        : value < 0 && 'must be ≥ 0',
  ),
  priority: /* @__PURE__ */ rule((value) => !Number.isFinite(value) && expected('number', value)),
  metadata: /* @__PURE__ */ rule((value) => !isObject(value) && expected('object', value)),
  allowUnsafeRegex: boolean,
});

const DEFAULTS: Readonly<Record<string, number>> = /* @__PURE__ */ freeze({
  maxRetries: 3,
  priority: 5,
});

/** The fields a pattern must have. */
const REQUIRED: ReadonlySet<string> = /* @__PURE__ */ new Set([
  'id',
  'errorType',
  'match',
  'strategy',
]);

/**
 * `regex` as `test()` can use it again and again: without `g` and `y`, whose `lastIndex`
 * would make it resume from the last match and miss every other matching text. The same
 * regex when it has neither.
 */
export function statelessRegex(regex: RegExp): RegExp {
  return /[gy]/.test(regex.flags)
    ? new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''))
    : regex;
}

/**
 * Builds the RegExp a pattern is matched with ({@link statelessRegex}), or names the
 * problem and returns `false`.
 */
function compileMatch(match: unknown, path: string, issues: string[]): RegExp | false {
  let source = match as string | RegExp;
  let flags = '';
  if (match instanceof RegExp) {
    return statelessRegex(match);
  } else if (
    isObject(match) &&
    typeof match.source === 'string' &&
    (match.flags === undefined || typeof match.flags === 'string') &&
    Object.keys(match).every((key) => key === 'source' || key === 'flags')
  ) {
    ({ source, flags = '' } = match as unknown as RegexSource);
  } else if (typeof match !== 'string') {
    issues.push(
      `${path}: expected a RegExp, a regex source string or { source, flags }, got ${match === null ? 'null' : typeof match}`,
    );
    return false;
  }
  try {
    return new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch (error) {
    issues.push(
      `${path}: invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
    );
    return false;
  }
}

function resolvePattern(
  input: unknown,
  path: string,
  issues: string[],
  { checkRegex }: PatternCheckOptions,
): ResolvedErrorPattern | undefined {
  if (!isObject(input)) {
    issues.push(`${path}: ${expected('object', input)}`);
    return undefined;
  }
  const before = issues.length;
  // The resolved pattern, its fields in FIELDS order, defaults applied.
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(FIELDS)) {
    const value = input[key];
    const at = `${path}.${key}`;
    if (value !== undefined) out[key] = check(value, at, issues) ?? value;
    else if (REQUIRED.has(key)) issues.push(`${at}: required`);
    else if (DEFAULTS[key]) out[key] = DEFAULTS[key];
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(FIELDS, key)) issues.push(`${path}.${key}: unknown option`);
  }
  const { match, strategy, metadata } = out;
  // `match` is false when it does not compile (an issue already).
  const problem = match && out.allowUnsafeRegex !== true && checkRegex?.(match as RegExp);
  if (problem) issues.push(`${path}.match: ${problem}`);
  if (issues.length > before) return undefined;
  out.strategy = freeze([strategy].flat());
  if (metadata) out.metadata = freeze({ ...metadata });
  return freeze(out) as unknown as ResolvedErrorPattern;
}

/**
 * Validates a pattern table and resolves every entry. Throws {@link RecoveryConfigError}
 * naming every bad path, duplicate ids (listed last) included.
 */
export function resolvePatterns(
  input: unknown,
  root = 'patterns',
  options: PatternCheckOptions = {},
): readonly ResolvedErrorPattern[] {
  if (!Array.isArray(input)) {
    throw new RecoveryConfigError([`${root}: expected an array of patterns`]);
  }
  const issues: string[] = [];
  const duplicates: string[] = [];
  const firstAt = new Map<string, number>();
  // Array.from, not map: a hole of a sparse array is an entry too (undefined), and named.
  const resolved = Array.from(input as unknown[], (entry, index) => {
    const path = `${root}[${index}]`;
    const id = isObject(entry) && entry.id;
    if (typeof id === 'string') {
      const first = firstAt.get(id) ?? index;
      firstAt.set(id, first);
      if (first < index) {
        duplicates.push(
          `${path}.id: duplicate id ${JSON.stringify(id)} (first at ${root}[${first}])`,
        );
      }
    }
    return resolvePattern(entry, path, issues, options);
  });
  throwIfAny([...issues, ...duplicates]);
  return freeze(resolved as ResolvedErrorPattern[]);
}
