import { z } from 'zod';
import type { ErrorPattern, RegexSource, ResolvedErrorPattern } from '../patterns/errorPattern.js';
import { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';
import { regexSafetyIssue } from './regexSafety.js';

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

const ErrorPatternFields = z.strictObject({
  /** Unique within a table; alternatives and budgets are keyed by it. */
  id: z.string().min(1, { error: 'must not be empty' }),
  /** The kind of failure the pattern recognises: the `errorType` of its classification. */
  errorType: z.enum(ErrorType),
  /** A RegExp, a regex source string (compiled without flags), or `{ source, flags }`. */
  match: MatchSchema,
  /** One strategy, or a plan: the first step that still has budget runs. */
  strategy: PlanSchema,
  /** The budget of each `retry` and `correct` step; `Infinity` (not in JSON) for unlimited. @default 3 */
  maxRetries: z
    .union([
      z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must be ≥ 0' }),
      z.literal(Number.POSITIVE_INFINITY),
    ])
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
    const problem = regexSafetyIssue(pattern.match);
    if (problem === undefined) return;
    ctx.addIssue({ code: 'custom', path: ['match'], input: pattern.match, message: problem });
  },
  // Also when other fields are wrong, so that one error names every bad path.
  {
    when: (payload) => (payload.value as { match?: unknown } | undefined)?.match instanceof RegExp,
  },
);

/**
 * The zod schema of one entry of a pattern table: which errors it matches, what type they
 * are, and the plan that recovers them. Strict: an unknown key (a typo such as
 * `maxRetry`) is an error. A `match` that can backtrack catastrophically (checked with
 * `recheck`) is refused unless the pattern says `allowUnsafeRegex: true`.
 *
 * In plain words: to validate one pattern yourself, or inside a schema of your own
 * (`z.array(ErrorPatternSchema)`). {@link parsePatterns} validates a whole table, duplicate
 * ids included, with readable error lines; the JSON Schema of pattern files is generated
 * from this schema.
 *
 * @example
 * ```ts
 * import { ErrorPatternSchema } from 'rx-recovery/files';
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
export const ErrorPatternSchema: z.ZodType<ResolvedErrorPattern, ErrorPattern> =
  ErrorPatternChecked as unknown as z.ZodType<ResolvedErrorPattern, ErrorPattern>;
