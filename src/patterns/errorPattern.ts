import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { ErrorType, RecoveryStrategy } from './errorTypes.js';
import { checkConfig, RecoveryConfigError } from './RecoveryConfigError.js';

/**
 * A regex source with optional flags: the form a pattern file uses for flags, since JSON
 * and YAML cannot hold a `RegExp`. Accepted wherever a pattern's `match` is.
 *
 * @example
 * ```ts
 * import { createClassifier, type RegexSource } from 'rx-recovery';
 *
 * const match: RegexSource = { source: 'rate limit|\\b429\\b', flags: 'i' };
 * const classifier = createClassifier([
 *   { id: 'rate_limit', errorType: 'transient', match, strategy: 'retry' },
 * ]);
 * classifier.classify(new Error('Rate Limit exceeded')).errorType; // → 'transient'
 * ```
 */
export interface RegexSource {
  /** The regex's source, as `RegExp#source` gives it: no slashes, backslashes as written. */
  source: string;
  /** The regex's flags (`'i'`, `'s'`, `'u'`…); `g` and `y` are dropped. @default '' (none) */
  flags?: string;
}

/**
 * Builds the RegExp a pattern is matched with. `g` and `y` are dropped: they make
 * `test()` stateful (`lastIndex`), and classification must not depend on history.
 */
function compileMatch(match: RegExp | string | RegexSource): RegExp {
  if (typeof match === 'string') return new RegExp(match);
  return new RegExp(match.source, (match.flags ?? '').replace(/[gy]/g, ''));
}

/** A pattern's `match`: a RegExp, a regex source string, or `{ source, flags }`; compiled and checked. */
export const MatchSchema = z
  .union(
    [
      z.instanceof(RegExp),
      z.string(),
      z.strictObject({
        /** The regex's source, as `RegExp#source` gives it. */
        source: z.string(),
        /** The regex's flags; `g` and `y` are dropped. @default '' (none) */
        flags: z.string().optional(),
      }),
    ],
    {
      error: (issue) =>
        issue.input === undefined
          ? 'required'
          : `expected a RegExp, a regex source string or { source, flags }, got ${issue.input === null ? 'null' : typeof issue.input}`,
    },
  )
  .transform((match, ctx): RegExp => {
    try {
      return compileMatch(match);
    } catch (error) {
      ctx.issues.push({
        code: 'custom',
        input: match,
        message: `invalid regular expression: ${String((error as Error).message).replace(/^Invalid regular expression: /, '')}`,
      });
      return z.NEVER;
    }
  });

const StrategySchema = z.enum(RecoveryStrategy);

const PlanSchema = z
  .union([
    StrategySchema,
    z.array(StrategySchema).min(1, { error: 'must not be empty' }).readonly(),
  ])
  .transform((plan): readonly RecoveryStrategy[] =>
    Object.freeze(typeof plan === 'string' ? [plan] : [...plan]),
  );

/** How many quantifiers a regex may hold before the backtracking check refuses it (safe-regex2's default). */
export const MAX_REGEX_QUANTIFIERS = 25;

/**
 * The regex source as the backtracking checker should read it. safe-regex2's parser (`ret`)
 * predates lookbehind and rejects non-ASCII group names, which would read as "unsafe";
 * `(?<=`/`(?<!` become `(?=`/`(?!` and `(?<name>` becomes `(`, which keeps every quantifier
 * and its nesting, so the verdict is the same as on the real regex.
 */
function checkerSource(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '(' && source.startsWith('?<', i + 1)) {
      const kind = source.charAt(i + 3);
      const close = source.indexOf('>', i + 3);
      if (kind === '=' || kind === '!') {
        out += `(?${kind}`;
        i += 3;
      } else if (close > 0) {
        out += '(';
        i = close;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Why `regex` could backtrack catastrophically, or `undefined` when safe-regex2 finds it
 * safe: a quantifier inside a quantified group (star height above 1, as in `(a+)+$`), or
 * more quantifiers than {@link MAX_REGEX_QUANTIFIERS}. The checker has false positives and
 * negatives; `allowUnsafeRegex` on a pattern accepts what it refuses.
 */
export function unsafeRegexReason(regex: RegExp): string | undefined {
  const source = checkerSource(regex.source);
  if (!safeRegex(source, { limit: Number.POSITIVE_INFINITY })) return 'nested quantifier';
  if (!safeRegex(source, { limit: MAX_REGEX_QUANTIFIERS })) {
    return `more than ${MAX_REGEX_QUANTIFIERS} quantifiers`;
  }
  return undefined;
}

const ErrorPatternFields = z.strictObject({
  /** Unique within a table; alternatives and budgets are keyed by it. */
  id: z.string().min(1, { error: 'must not be empty' }),
  /** The kind of failure the pattern recognises: the `errorType` of its classification. */
  errorType: z.enum(ErrorType),
  /** A RegExp, a regex source string (compiled without flags), or `{ source, flags }`. */
  match: MatchSchema,
  /** One strategy, or a plan: the first step that still has budget runs. */
  strategy: PlanSchema,
  /** The budget of each step of the plan. @default 3 */
  maxRetries: z
    .number()
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be ≥ 0' })
    .default(3),
  /** Higher runs first; equal priorities keep table order. @default 5 */
  priority: z.number().default(5),
  /** Free-form data carried to signals and escalation records. */
  metadata: z.record(z.string(), z.unknown()).optional(),
  /**
   * Accept a `match` the backtracking check refuses (nested quantifiers such as `(a+)+$`).
   * Only for a regex you have checked yourself: a catastrophic one can hang classification.
   * Absent means `false`; a resolved pattern has the key only when it was given.
   * @default false
   */
  allowUnsafeRegex: z.boolean().optional(),
});

/** The checked schema itself; exported under an explicit type as {@link ErrorPatternSchema}. */
const ErrorPatternChecked = ErrorPatternFields.superRefine(
  (pattern, ctx) => {
    if (pattern.allowUnsafeRegex === true) return;
    const reason = unsafeRegexReason(pattern.match);
    if (reason === undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: ['match'],
      input: pattern.match,
      message: `regex can backtrack catastrophically (${reason}); set allowUnsafeRegex: true on this pattern to accept it`,
    });
  },
  // Also when other fields are wrong, so that one error names every bad path.
  {
    when: (payload) => (payload.value as { match?: unknown } | undefined)?.match instanceof RegExp,
  },
);

/**
 * An error pattern as users write it: which errors it matches (`match`), what type they
 * are (`errorType`), and the plan that recovers them (`strategy`). Validated by
 * {@link ErrorPatternSchema} when a classifier or operator is built.
 *
 * @example
 * ```ts
 * import { createClassifier, defaultPatterns, type ErrorPattern } from 'rx-recovery';
 *
 * const rateLimit: ErrorPattern = {
 *   id: 'rate_limit',
 *   errorType: 'transient',
 *   match: /\b429\b|rate limit/i,
 *   strategy: ['retry', 'escalate'],
 *   maxRetries: 5,
 *   priority: 9,
 *   metadata: { owner: 'platform-team' },
 * };
 * const classifier = createClassifier([...defaultPatterns, rateLimit]);
 * classifier.classify(new Error('HTTP 429: rate limit exceeded')).pattern?.id; // → 'rate_limit'
 * ```
 *
 * @interface
 */
export type ErrorPattern = z.input<typeof ErrorPatternChecked>;
/**
 * An error pattern after validation: compiled `match` (without `g` and `y`), plan as an
 * array, defaults applied. Frozen. What {@link parsePatterns} returns and
 * {@link Classifier.patterns} holds.
 *
 * @example
 * ```ts
 * import { parsePatterns, type ResolvedErrorPattern } from 'rx-recovery';
 *
 * const describe = (p: ResolvedErrorPattern) =>
 *   `${p.id}: ${p.match} → ${p.strategy.join(' → ')} (maxRetries ${p.maxRetries}, priority ${p.priority})`;
 *
 * parsePatterns([
 *   { id: 'rate_limit', errorType: 'transient', match: { source: '429', flags: 'gi' }, strategy: 'retry' },
 * ]).map(describe);
 * // → ['rate_limit: /429/i → retry (maxRetries 3, priority 5)']
 * ```
 *
 * @interface
 */
export type ResolvedErrorPattern = Readonly<ResolvedErrorPatternShape>;

/**
 * What {@link ErrorPatternSchema} parses to: {@link ResolvedErrorPattern}, not yet frozen.
 *
 * @inline
 */
type ResolvedErrorPatternShape = z.output<typeof ErrorPatternChecked>;

/**
 * The zod schema of one entry of a pattern table: which errors it matches, what type they
 * are, and the plan that recovers them. Strict: an unknown key (a typo such as
 * `maxRetry`) is an error. A `match` that can backtrack catastrophically (checked with
 * safe-regex2) is refused unless the pattern says `allowUnsafeRegex: true`.
 *
 * In plain words: to validate one pattern yourself, or inside a schema of your own
 * (`z.array(ErrorPatternSchema)`). {@link parsePatterns} validates a whole table, duplicate
 * ids included, with readable error lines; the JSON Schema of pattern files is generated
 * from this schema.
 *
 * @example
 * ```ts
 * import { ErrorPatternSchema } from 'rx-recovery';
 *
 * ErrorPatternSchema.parse({
 *   id: 'rate_limit',
 *   errorType: 'transient',
 *   match: { source: 'rate limit', flags: 'i' },
 *   strategy: 'retry',
 * });
 * // → { id: 'rate_limit', errorType: 'transient', match: /rate limit/i, strategy: ['retry'],
 * //     maxRetries: 3, priority: 5 }
 * ErrorPatternSchema.safeParse({ id: 'x', errorType: 'transient', match: 'x', strategy: 'retry', maxRetry: 2 })
 *   .success; // → false (maxRetry: unknown key)
 * ```
 */
export const ErrorPatternSchema: z.ZodType<ResolvedErrorPatternShape, ErrorPattern> =
  ErrorPatternChecked;

function duplicateIdLines(root: string, input: readonly unknown[]): string[] {
  const firstIndex = new Map<string, number>();
  const lines: string[] = [];
  input.forEach((entry, index) => {
    const id =
      typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else
      lines.push(
        `${root}[${index}].id: duplicate id ${JSON.stringify(id)} (first at ${root}[${first}])`,
      );
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
): readonly ResolvedErrorPattern[] {
  if (!Array.isArray(input)) {
    throw new RecoveryConfigError([`${root}: expected an array of patterns`]);
  }
  const { data, lines } = checkConfig(z.array(ErrorPatternSchema), input, root);
  lines.push(...duplicateIdLines(root, input));
  if (lines.length > 0 || data === undefined) throw new RecoveryConfigError(lines);
  return Object.freeze(data.map((pattern) => Object.freeze(pattern)));
}
