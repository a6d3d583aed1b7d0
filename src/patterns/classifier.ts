import { z } from 'zod';
import { defaultPatterns } from './defaultPatterns.js';
import { type ErrorPattern, type ResolvedErrorPattern, resolvePatterns } from './errorPattern.js';
import { errorText } from './errorText.js';
import { ErrorType, RecoveryStrategy } from './errorTypes.js';
import { LiteralIndex } from './literalIndex.js';
import { type LiteralPrefilter, literalPrefilter } from './literalPrefilter.js';
import { parseConfig } from './RecoveryConfigError.js';

/** What the classifier decided about one error. Frozen and shared: do not mutate. */
export interface Classification {
  /** The pattern that matched; absent when none did. */
  readonly pattern?: ResolvedErrorPattern;
  readonly errorType: ErrorType;
  /** The strategies to try, in order; empty means "rethrow". */
  readonly plan: readonly RecoveryStrategy[];
}

/** One pattern that matches an error, as {@link Classifier.explain} lists it. */
export interface PatternMatch {
  readonly pattern: ResolvedErrorPattern;
  /** The text the pattern's regex matched. */
  readonly matched: string;
  /** Where in the classified text the match starts. */
  readonly index: number;
}

/** A compiled pattern table. Build one with {@link createClassifier}. */
export interface Classifier {
  /** The validated patterns, highest priority first. */
  readonly patterns: readonly ResolvedErrorPattern[];
  /** The first pattern (by priority, then table order) that matches `error`. Never throws. */
  classify(error: unknown): Classification;
  /** Every pattern that matches `error`, in priority order, with the matched text. */
  explain(error: unknown): readonly PatternMatch[];
}

export const ClassifierOptionsSchema = z.strictObject({
  /** The plan for errors no pattern matches. @default [] (rethrow) */
  unmatched: z.array(z.enum(RecoveryStrategy)).default([]),
});

/** Options of {@link createClassifier}. */
export type ClassifierOptions = z.input<typeof ClassifierOptionsSchema>;

/** Tables larger than this classify through a {@link LiteralIndex}. */
const INDEX_THRESHOLD = 16;

interface CompiledPattern {
  readonly regex: RegExp;
  readonly prefilter: LiteralPrefilter | null;
  readonly classification: Classification;
}

function mayMatch(prefilter: LiteralPrefilter, haystack: string): boolean {
  for (const literal of prefilter.literals) {
    if (haystack.includes(literal)) return true;
  }
  return false;
}

/**
 * Compiles a pattern table once — validation, priority sort, regexes, literal prefilters —
 * so that classifying an error is a scan with no allocation.
 *
 * What is matched is `"<name>: <message>"` of the error (`String(x)` for a non-Error),
 * at most its first 8,192 characters, then `error.code` on a line of its own when it is a
 * short identifier. Higher `priority` first; equal priorities keep table order; the
 * first match wins.
 *
 * @param patterns The pattern table. @default defaultPatterns
 * @throws RecoveryConfigError naming every invalid path, a regex that can backtrack
 * catastrophically included (unless its pattern says `allowUnsafeRegex: true`).
 */
export function createClassifier(
  patterns: readonly ErrorPattern[] = defaultPatterns,
  options: ClassifierOptions = {},
): Classifier {
  const resolved = resolvePatterns(patterns);
  const { unmatched: unmatchedPlan } = parseConfig(ClassifierOptionsSchema, options, 'options');
  const sorted = Object.freeze([...resolved].sort((a, b) => b.priority - a.priority));
  const compiled: readonly CompiledPattern[] = sorted.map((pattern) => ({
    regex: pattern.match,
    prefilter: literalPrefilter(pattern.match),
    classification: Object.freeze({
      pattern,
      errorType: pattern.errorType,
      plan: pattern.strategy,
    }),
  }));
  const unmatched: Classification = Object.freeze({
    errorType: ErrorType.UNKNOWN,
    plan: Object.freeze([...unmatchedPlan]),
  });
  // Small tables: running each regex is cheaper than looking for literals first. Large
  // ones: one Aho–Corasick pass over the text finds the few patterns worth a regex.
  const index =
    compiled.length > INDEX_THRESHOLD ? new LiteralIndex(compiled.map((c) => c.prefilter)) : null;
  // Retries of one failure repeat the same text: the last answer is kept (classification
  // depends on the text alone).
  let lastText: string | undefined;
  let lastResult: Classification = unmatched;

  const scan = (text: string): Classification => {
    if (index === null) {
      for (const { regex, classification } of compiled) {
        if (regex.test(text)) return classification;
      }
      return unmatched;
    }
    for (const id of index.scan(text)) {
      const entry = compiled[id] as CompiledPattern;
      if (entry.regex.test(text)) return entry.classification;
    }
    return unmatched;
  };

  return Object.freeze({
    patterns: sorted,
    classify(error: unknown): Classification {
      const text = errorText(error);
      if (text !== lastText) {
        lastResult = scan(text);
        lastText = text;
      }
      return lastResult;
    },
    explain(error: unknown): readonly PatternMatch[] {
      const text = errorText(error);
      const lower = text.toLowerCase();
      const matches: PatternMatch[] = [];
      for (const { prefilter, regex, classification } of compiled) {
        if (prefilter !== null && !mayMatch(prefilter, prefilter.caseInsensitive ? lower : text)) {
          continue;
        }
        const found = regex.exec(text);
        if (found === null || classification.pattern === undefined) continue;
        matches.push(
          Object.freeze({ pattern: classification.pattern, matched: found[0], index: found.index }),
        );
      }
      return Object.freeze(matches);
    },
  });
}

let defaultClassifier: Classifier | undefined;

/**
 * Classifies an error against {@link defaultPatterns}; unmatched errors get an empty
 * plan. The default classifier is compiled on first use.
 */
export function classify(error: unknown): Classification {
  defaultClassifier ??= createClassifier(defaultPatterns);
  return defaultClassifier.classify(error);
}
