import type { BenchConfig } from '../config.js';
import { interleave, type ScenarioResult, sink, type Variant } from '../harness.js';
import {
  type Classifier,
  createClassifier,
  defaultPatterns,
  type ErrorPattern,
  errorText,
  type ResolvedErrorPattern,
} from '../lib.js';

export const NAIVE = 'naive first-match loop';
export const CLASSIFIER = 'createClassifier().classify';
export const REGEX_ALONE = 'the matching regex alone';

/**
 * `n` generated patterns in four shapes (an error code, a service name, an upstream
 * failure, a quota message), half of them case-insensitive, all at the default priority so
 * that table order is priority order. Pattern `i` is matched by {@link generatedError}`(i)`
 * and by no other pattern.
 */
export function generatePatterns(n: number): ErrorPattern[] {
  return Array.from({ length: n }, (_, i): ErrorPattern => {
    const id = `generated_${i}`;
    switch (i % 4) {
      case 0:
        return { id, errorType: 'transient', match: `\\bE_SVC_${i}_FAILED\\b`, strategy: 'retry' };
      case 1:
        return {
          id,
          errorType: 'transient',
          match: new RegExp(`service-${i} (?:is )?(?:unavailable|overloaded)`, 'i'),
          strategy: ['retry', 'escalate'],
        };
      case 2:
        return {
          id,
          errorType: 'unknown',
          match: new RegExp(`upstream node${i} (?:refused|reset) the connection`, 'i'),
          strategy: 'degrade',
        };
      default:
        return {
          id,
          errorType: 'validation',
          match: `quota ${i} exceeded for (?:project|org)`,
          strategy: 'escalate',
        };
    }
  });
}

/** An error that generated pattern `i` (and only it) matches. */
export function generatedError(i: number): Error {
  switch (i % 4) {
    case 0:
      return Object.assign(new Error('upstream call failed after 3 attempts'), {
        code: `E_SVC_${i}_FAILED`,
      });
    case 1:
      return new Error(`Service-${i} is unavailable, try again later`);
    case 2:
      return new Error(`ECONNRESET: upstream node${i} reset the connection`);
    default:
      return new Error(`quota ${i} exceeded for project acme-codegen`);
  }
}

/** What a user would write without a classifier: the same sorted regexes, first match wins. */
export function naiveClassifier(
  patterns: readonly ResolvedErrorPattern[],
): (error: unknown) => ResolvedErrorPattern | undefined {
  return (error) => {
    const text = errorText(error);
    for (const pattern of patterns) {
      if (pattern.match.test(text)) return pattern;
    }
    return undefined;
  };
}

interface Case {
  readonly table: string;
  readonly position: string;
  readonly classifier: Classifier;
  readonly error: Error;
  /** Id of the pattern that must win; undefined for no match. */
  readonly expected: string | undefined;
  /** Classifications per measured call. */
  readonly batch: number;
}

/**
 * 64 copies of `error` whose messages differ in a suffix, so that each call classifies a
 * new text (the classifier remembers its last answer, and a repeated text would only
 * measure that).
 */
function variantsOf(error: Error): Error[] {
  return Array.from({ length: 64 }, (_, k) =>
    Object.assign(Object.create(Object.getPrototypeOf(error)) as Error, error, {
      message: `${error.message} (#${k})`,
    }),
  );
}

function check(c: Case, naive: (error: unknown) => ResolvedErrorPattern | undefined): void {
  const got = c.classifier.classify(c.error).pattern?.id;
  const naiveGot = naive(c.error)?.id;
  if (got !== c.expected || naiveGot !== c.expected) {
    throw new Error(
      `classification bench (${c.table}, ${c.position}): expected ${c.expected}, classifier ${got}, naive ${naiveGot}`,
    );
  }
}

/** Classification cost: the default table and 100/1,000 generated patterns, first/middle/last/none. */
export async function classification(config: BenchConfig): Promise<ScenarioResult[]> {
  const defaults = createClassifier(defaultPatterns);
  const cases: Case[] = [
    {
      table: 'default patterns (6)',
      position: 'match first',
      classifier: defaults,
      error: new SyntaxError(
        'await is only valid in async functions and the top level bodies of modules',
      ),
      expected: 'missing_async_keyword',
      batch: 1000,
    },
    {
      table: 'default patterns (6)',
      position: 'match last',
      classifier: defaults,
      error: new Error('Request timed out after 30000ms'),
      expected: 'operation_timeout',
      batch: 1000,
    },
    {
      table: 'default patterns (6)',
      position: 'no match',
      classifier: defaults,
      error: new Error('disk full: cannot write /tmp/out.ts'),
      expected: undefined,
      batch: 1000,
    },
  ];
  for (const size of [100, 1000]) {
    const classifier = createClassifier(generatePatterns(size));
    const batch = size === 100 ? 100 : 10;
    const at = (i: number, position: string): Case => ({
      table: `${size.toLocaleString('en-US')} generated patterns`,
      position,
      classifier,
      error: generatedError(i),
      expected: `generated_${i}`,
      batch,
    });
    cases.push(at(size >> 1, 'match in the middle'), at(size - 1, 'match last'), {
      table: `${size.toLocaleString('en-US')} generated patterns`,
      position: 'no match',
      classifier,
      error: new Error('disk full: cannot write /tmp/out.ts'),
      expected: undefined,
      batch,
    });
  }

  const results: ScenarioResult[] = [];
  for (const c of cases) {
    const naive = naiveClassifier(c.classifier.patterns);
    check(c, naive);
    const { error, batch, classifier } = c;
    const errors = variantsOf(error);
    for (const variant of errors) {
      if (classifier.classify(variant).pattern?.id !== c.expected) {
        throw new Error(
          `classification bench (${c.table}, ${c.position}): a varied text changed the answer`,
        );
      }
    }
    let turn = 0;
    const next = () => errors[turn++ & 63] as Error;
    const repeat =
      (f: () => unknown): (() => void) =>
      () => {
        for (let i = 0; i < batch; i++) if (f() !== undefined) sink.value += 1;
      };
    const variants: Variant[] = [
      {
        name: NAIVE,
        fn: repeat(() => naive(next())),
        units: batch,
        note: 'errorText, then each regex in priority order; a new text each call',
      },
      {
        name: CLASSIFIER,
        fn: repeat(() => classifier.classify(next()).pattern),
        units: batch,
        note: 'a new text each call: the full scan',
      },
      {
        name: 'classify, the same error again',
        fn: repeat(() => classifier.classify(error).pattern),
        units: batch,
        note: 'what a retry loop sees: the last answer is reused',
      },
    ];
    const winner = c.classifier.patterns.find((p) => p.id === c.expected);
    if (c.table.startsWith('default') && winner !== undefined) {
      const regex = winner.match;
      const text = errorText(error);
      variants.unshift({
        name: REGEX_ALONE,
        fn: repeat(() => (regex.test(text) ? text : undefined)),
        units: batch,
        note: `\`${winner.id}\`'s regex on the error's text, built once beforehand`,
      });
      variants.push({
        name: 'errorText + the matching regex',
        fn: repeat(() => {
          const varied = next();
          return regex.test(errorText(varied)) ? varied : undefined;
        }),
        units: batch,
        note: 'the text built for each call, as classify must',
      });
    }
    const baseline = variants[0]?.name as string;
    results.push({
      id: `classification/${c.table}/${c.position}`.replaceAll(' ', '-').replaceAll(/[(),]/g, ''),
      title: `Classification, ${c.table}, ${c.position} — ns per classification`,
      unit: 'ns/call',
      baseline,
      variants: await interleave(variants, baseline, config.timing),
      notes: [`Error text: \`${errorText(error).replaceAll('\n', '\\n')}\``],
    });
  }
  return results;
}
