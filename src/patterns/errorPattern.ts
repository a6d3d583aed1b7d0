import {
  arrayOf,
  boolean,
  describeValue,
  isObject,
  oneOf,
  type Rule,
  rule,
  string,
} from '../config/check.js';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { ErrorType, RecoveryStrategy } from './errorTypes.js';

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

const ERROR_TYPES: readonly string[] = /* @__PURE__ */ Object.values(ErrorType);
const STRATEGIES: readonly string[] = /* @__PURE__ */ Object.values(RecoveryStrategy);
const oneStrategy = /* @__PURE__ */ oneOf(STRATEGIES);
const plan = /* @__PURE__ */ arrayOf(oneStrategy, { nonEmpty: true });

/**
 * The checks of each field, in the order problems are listed; `match` is compiled apart.
 * The first four are required.
 */
const FIELDS: Readonly<Record<keyof ErrorPattern, Rule>> = /* @__PURE__ */ Object.freeze({
  id: /* @__PURE__ */ string(true),
  errorType: /* @__PURE__ */ oneOf(ERROR_TYPES),
  match: () => {},
  strategy: (value: unknown, path: string, issues: string[]) =>
    (Array.isArray(value) ? plan : oneStrategy)(value, path, issues),
  maxRetries: /* @__PURE__ */ rule((value) =>
    typeof value !== 'number' || Number.isNaN(value)
      ? `expected number, got ${describeValue(value)}`
      : value !== Number.POSITIVE_INFINITY && !Number.isInteger(value)
        ? 'must be a whole number'
        : value < 0 && 'must be ≥ 0',
  ),
  priority: /* @__PURE__ */ rule(
    (value) => !Number.isFinite(value) && `expected number, got ${describeValue(value)}`,
  ),
  metadata: /* @__PURE__ */ rule(
    (value) => !isObject(value) && `expected object, got ${describeValue(value)}`,
  ),
  allowUnsafeRegex: boolean,
});
const REQUIRED = ['id', 'errorType', 'match', 'strategy'];

/** Builds the RegExp a pattern is matched with; `g` and `y` would make `test()` stateful. */
function compileMatch(match: unknown, path: string, issues: string[]): RegExp | undefined {
  let source: string;
  let flags = '';
  if (match instanceof RegExp) {
    if (!match.global && !match.sticky) return match;
    source = match.source;
    flags = match.flags;
  } else if (typeof match === 'string') {
    source = match;
  } else if (
    isObject(match) &&
    typeof match.source === 'string' &&
    (match.flags === undefined || typeof match.flags === 'string') &&
    Object.keys(match).every((key) => key === 'source' || key === 'flags')
  ) {
    source = match.source;
    flags = (match.flags as string | undefined) ?? '';
  } else {
    issues.push(
      match === undefined
        ? `${path}: required`
        : `${path}: expected a RegExp, a regex source string or { source, flags }, got ${match === null ? 'null' : typeof match}`,
    );
    return undefined;
  }
  try {
    return new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch (error) {
    const reason = String((error as Error).message).replace(/^Invalid regular expression: /, '');
    issues.push(`${path}: invalid regular expression: ${reason}`);
    return undefined;
  }
}

function resolvePattern(
  input: unknown,
  path: string,
  issues: string[],
  options: PatternCheckOptions,
): ResolvedErrorPattern | undefined {
  if (!isObject(input)) {
    issues.push(`${path}: expected object, got ${describeValue(input)}`);
    return undefined;
  }
  const before = issues.length;
  let match: RegExp | undefined;
  for (const [key, check] of Object.entries(FIELDS)) {
    const value = input[key];
    if (key === 'match') match = compileMatch(value, `${path}.match`, issues);
    else if (value !== undefined) check(value, `${path}.${key}`, issues);
    else if (REQUIRED.includes(key)) issues.push(`${path}.${key}: required`);
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(FIELDS, key)) issues.push(`${path}.${key}: unknown option`);
  }
  const {
    id,
    errorType,
    strategy,
    maxRetries = 3,
    priority = 5,
    metadata,
    allowUnsafeRegex,
  } = input;
  if (match !== undefined && allowUnsafeRegex !== true && options.checkRegex !== undefined) {
    const problem = options.checkRegex(match);
    if (problem !== undefined) issues.push(`${path}.match: ${problem}`);
  }
  if (issues.length > before || match === undefined) return undefined;
  return Object.freeze({
    id: id as string,
    errorType: errorType as ErrorType,
    match,
    strategy: Object.freeze(
      Array.isArray(strategy) ? [...strategy] : [strategy],
    ) as readonly RecoveryStrategy[],
    maxRetries: maxRetries as number,
    priority: priority as number,
    ...(metadata === undefined ? {} : { metadata: Object.freeze({ ...(metadata as object) }) }),
    ...(allowUnsafeRegex === undefined ? {} : { allowUnsafeRegex: allowUnsafeRegex as boolean }),
  });
}

function duplicateIdLines(root: string, input: readonly unknown[]): string[] {
  const firstIndex = new Map<string, number>();
  const lines: string[] = [];
  input.forEach((entry, index) => {
    const id = isObject(entry) ? entry.id : undefined;
    if (typeof id !== 'string') return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else {
      lines.push(
        `${root}[${index}].id: duplicate id ${JSON.stringify(id)} (first at ${root}[${first}])`,
      );
    }
  });
  return lines;
}

/**
 * Validates a pattern table and resolves every entry. Throws {@link RecoveryConfigError}
 * naming every bad path, duplicate ids included.
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
  const resolved = input.map((entry, index) =>
    resolvePattern(entry, `${root}[${index}]`, issues, options),
  );
  issues.push(...duplicateIdLines(root, input));
  if (issues.length > 0) throw new RecoveryConfigError(issues);
  return Object.freeze(resolved as ResolvedErrorPattern[]);
}
