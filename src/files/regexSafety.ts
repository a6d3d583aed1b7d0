import { createRequire } from 'node:module';
import type { checkSync as RecheckCheckSync } from 'recheck';

/**
 * The regex-safety check of `rx-recovery/files`: may a regex that arrived as data (a pattern
 * file) be run on error messages, or can it backtrack catastrophically? Answered by
 * `recheck`, an analysis of backtracking (automata theory, with fuzzing for what the automaton
 * cannot hold), not a star-height heuristic.
 *
 * Policy (DESIGN.md, "Error patterns and classification"):
 * - accepted: constant, linear and "safe" verdicts, and **quadratic** ones (`.*error.*`,
 *   `\w+Error: .*`): the classifier matches at most 8 KiB of text, which bounds them;
 * - refused: exponential (`(a+)+$`) and polynomial of degree ≥ 3 (`a*a*b`,
 *   `ValidationError.*missing.*field`), with the complexity and recheck's attack string;
 * - refused as "could not be verified": a verdict recheck cannot reach (its time limit, a
 *   flag or syntax it does not support, an internal error, recheck missing).
 *
 * One addition to recheck's verdict: its automaton judges a bounded repeat as a constant, so
 * `(a|a){1,29}$` is "safe" to it while Node spends 48 s on 30 characters, and
 * `.{0,100}.{0,100}.{0,100}x` is quadratic to it while Node spends 17 s on 8 KiB. A regex with
 * a repeat bound of {@link WIDEN_FROM} or more is checked a second time with those repeats
 * unbounded, and judged as above: refused when that is exponential or of degree ≥ 3.
 *
 * @module
 */

/** recheck's synchronous entry point, `checkSync(source, flags, params)`. */
export type RecheckCheck = typeof RecheckCheckSync;

/** Options of {@link createRegexSafetyCheck}. */
export interface RegexSafetyCheckOptions {
  /**
   * recheck's time limit for one regex, in ms; a regex it cannot judge in time is refused as
   * "could not be verified".
   * @default 10_000
   */
  timeoutMs?: number | undefined;
  /** How many verdicts are remembered, keyed by source and flags. @default 1_000 */
  cacheSize?: number | undefined;
  /** The checker; tests wrap the real one to count calls. @default recheck's `checkSync`, loaded on first use */
  check?: RecheckCheck | undefined;
}

/**
 * recheck's time limit for one check: its own default. The check runs when a pattern file is
 * validated, once per regex per process (verdicts are cached), never while classifying, so
 * the limit is generous: a safe regex refused for want of time is a false alarm the user can
 * only silence with `allowUnsafeRegex`. Measured on the test corpus (65 regexes): with the
 * native binary every check ends within 2.3 s (the slowest, `Unexpected token '?[^']*'? in
 * JSON at position \d+`, builds a 6,800-state automaton); with the pure-JS fallback that one
 * needs ~10.6 s and is refused as "could not be verified", the rest end within 2.4 s. Past
 * the limit recheck stops and answers `unknown`: a check does not hang on a hard regex.
 */
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CACHE_SIZE = 1_000;

/**
 * recheck's other parameters, beside `timeout`. `maxRepeatCount` (recheck's default 30) is how
 * many counted repeats a regex may hold before recheck gives up its exact automaton analysis
 * for fuzzing. The fuzzer guesses from timings, and on bounded repeats it guesses wrong:
 * `.{0,80}error` comes out "3rd degree polynomial (fuzz)" (refused), a UUID regex takes 1.2 s
 * (6 s without the native binary). With 1,000 both are exact and take milliseconds; the NFA
 * size limit (`maxNFASize`, default 35,000) still sends a regex too big for the automaton to
 * the fuzzer. What the automaton misses on bounded repeats is covered by the widened check.
 */
const RECHECK_PARAMS = Object.freeze({ maxRepeatCount: 1_000 });

/**
 * A counted repeat whose bound is at least this is judged as unbounded by the widened check:
 * ten 2-way choices are ~1,000 paths per start, which the 8 KiB text cap absorbs; twenty are a
 * million. Smaller bounds (`\d{1,3}`, `(\.\d{1,3}){3}`) are left to recheck's exact verdict.
 */
export const WIDEN_FROM = 10;

/** The highest polynomial degree accepted: quadratic, bounded by the 8 KiB text cap. */
const MAX_ACCEPTED_DEGREE = 2;

/** An attack string longer than this is shown as recheck's construction of it (`'a'.repeat(1651) + …`). */
const MAX_LITERAL_ATTACK = 48;
/** Longest attack construction shown; the rest is cut at a `…`. */
const MAX_ATTACK_PATTERN = 160;

const OPT_OUT = 'set allowUnsafeRegex: true on this pattern to accept it';

/**
 * Flags that change what a regex matches, so they go to the checker. `g`, `y` and `d` do not
 * change backtracking of a `test()` from any start (patterns drop `g` and `y` anyway); any
 * other flag (`v`) is passed on, and recheck refuses what it does not know.
 */
const IGNORED_FLAGS = /[gyd]/g;

/*
 * How recheck is loaded. Loading it costs ~65 ms (`require('recheck')` parses 2.9 MB of
 * Scala.js and initialises it; measured on Node 20), so a static import would charge every
 * program that imports `rx-recovery/files` — even one that only reads the JSON Schema — and
 * DESIGN.md wants the checker loaded "only when a pattern file is validated". An `import()`
 * is lazy but asynchronous, and `parsePatterns` is synchronous. So it is `require`d on the
 * first check, through `createRequire`, anchored at this module's own file: `__filename`
 * in the CJS build (`dist/files.cjs`), `import.meta.url` in the ESM build and under vitest,
 * where `__filename` is undeclared and `typeof` reads it safely. recheck stays external
 * (it is a dependency, and tsup leaves dependencies unbundled; it could not be bundled
 * anyway: it starts a worker from its own files).
 *
 * Backend: `checkSync` runs the check in a synckit worker thread, which uses, in order, the
 * native binary (`recheck-linux-x64`…, an optional dependency), `java -jar` with
 * `recheck-jar` when Java is installed, or recheck's Scala.js build in a worker thread. With
 * `npm install --omit=optional` it is the last one. `RECHECK_BACKEND` and
 * `RECHECK_SYNC_BACKEND` (recheck's own variables) choose otherwise.
 */
let loadedCheck: RecheckCheck | undefined;

function recheckCheckSync(): RecheckCheck {
  if (loadedCheck === undefined) {
    const anchor = typeof __filename === 'string' ? __filename : import.meta.url;
    const recheck = createRequire(anchor)('recheck') as { checkSync: RecheckCheck };
    loadedCheck = recheck.checkSync;
  }
  return loadedCheck;
}

/**
 * `source` with every counted repeat of bound {@link WIDEN_FROM} or more made unbounded
 * (`{1,29}` → `+`, `{0,80}` → `*`, `{12}` → `+`, `{40,}` → `+`; a lazy `?` is kept), or
 * `undefined` when there is none. Escapes, classes and `\u{…}`/`\p{…}` are skipped, so only
 * real quantifiers change; the result is what the regex would be if its bounds were large.
 */
export function widenBoundedRepeats(source: string): string | undefined {
  let out = '';
  let changed = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '\\') {
      const next = source.charAt(i + 1);
      const braced = 'upP'.includes(next) && source.charAt(i + 2) === '{';
      const end = braced ? source.indexOf('}', i + 2) : -1;
      const to = end > 0 ? end + 1 : i + 2;
      out += source.slice(i, to);
      i = to - 1;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '{') {
      const quantifier = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (quantifier === null) {
        out += c;
        continue;
      }
      const [text, min, comma, max] = quantifier;
      const bound = comma === undefined ? Number(min) : max === '' ? Number(min) : Number(max);
      if (bound >= WIDEN_FROM) {
        out += Number(min) === 0 ? '*' : '+';
        changed = true;
      } else {
        out += text;
      }
      i += text.length - 1;
    } else {
      out += c;
    }
  }
  return changed ? out : undefined;
}

/** `"…"` for a short attack string, recheck's construction of it for a long one; one line. */
function describeAttack(attack: { string: string; pattern: string }): string {
  if (attack.string.length <= MAX_LITERAL_ATTACK) return `attack string ${quote(attack.string)}`;
  const pattern =
    attack.pattern.length <= MAX_ATTACK_PATTERN
      ? attack.pattern
      : `${attack.pattern.slice(0, MAX_ATTACK_PATTERN)}…`;
  return `attack string ${oneLine(pattern)}`;
}

/** A JSON string literal, with the line separators JSON leaves alone escaped too. */
function quote(text: string): string {
  return oneLine(JSON.stringify(text));
}

function oneLine(text: string): string {
  return text.replace(
    /[\n\r\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The kinds of `UnknownDiagnostics.error`, as recheck reports them. */
interface UnknownError {
  kind: string;
  message?: string | undefined;
}

function unknownReason(error: UnknownError, flags: string, timeoutMs: number): string {
  switch (error.kind) {
    case 'timeout':
      return `the check took longer than ${timeoutMs} ms`;
    case 'cancel':
      return 'the check was cancelled';
    default: {
      const message = error.message ?? 'no message';
      // recheck says "unknown flag" without naming it; name the flags it was given.
      if (/flag/i.test(message))
        return `the checker does not support the flags "${flags}" (${message})`;
      return `${error.kind}: ${message}`;
    }
  }
}

/** recheck's complexity of a vulnerable regex. */
type Complexity = { type: 'exponential' } | { type: 'polynomial'; degree: number };

/** Quadratic (or linear) backtracking is accepted: the 8 KiB text cap bounds it. */
function isAccepted(complexity: Complexity): boolean {
  return complexity.type === 'polynomial' && complexity.degree <= MAX_ACCEPTED_DEGREE;
}

function complexityName(complexity: Complexity): string {
  return complexity.type === 'exponential'
    ? 'exponential'
    : `polynomial, degree ${complexity.degree}`;
}

function catastrophic(complexity: string, attack: { string: string; pattern: string }): string {
  return `regex can backtrack catastrophically (${complexity}; ${describeAttack(attack)}); ${OPT_OUT}`;
}

function couldNotVerify(reason: string): string {
  return `regex could not be verified (${oneLine(reason)}); ${OPT_OUT}`;
}

/**
 * Builds a regex-safety check with its own cache. {@link regexSafetyIssue} is the instance
 * `rx-recovery/files` uses; this factory is for tests (a counting `check`, a tiny timeout).
 *
 * @internal
 */
export function createRegexSafetyCheck(
  options: RegexSafetyCheckOptions = {},
): (regex: RegExp) => string | undefined {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const cache = new Map<string, string | undefined>();

  /** recheck's diagnostics, or the message of what it threw (recheck missing, its worker failed). */
  const run = (source: string, flags: string): ReturnType<RecheckCheck> | string => {
    try {
      const check = options.check ?? recheckCheckSync();
      return check(source, flags, { ...RECHECK_PARAMS, timeout: timeoutMs });
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };

  /** The verdict, and whether to remember it: a checker that failed says nothing about the regex. */
  const judge = (source: string, flags: string): { verdict: string | undefined; keep: boolean } => {
    const diagnostics = run(source, flags);
    if (typeof diagnostics === 'string') {
      return { verdict: couldNotVerify(`the checker failed: ${diagnostics}`), keep: false };
    }
    switch (diagnostics.status) {
      case 'safe':
        break;
      case 'vulnerable': {
        const { complexity, attack } = diagnostics;
        if (isAccepted(complexity)) break;
        return { verdict: catastrophic(complexityName(complexity), attack), keep: true };
      }
      default:
        return {
          verdict: couldNotVerify(unknownReason(diagnostics.error, flags, timeoutMs)),
          keep: true,
        };
    }
    // Accepted as written; now with its large bounds unbounded (see WIDEN_FROM).
    const widened = widenBoundedRepeats(source);
    if (widened === undefined) return { verdict: undefined, keep: true };
    const wide = run(widened, flags);
    if (typeof wide === 'string') {
      return { verdict: couldNotVerify(`the checker failed: ${wide}`), keep: false };
    }
    if (wide.status === 'unknown') {
      const reason = unknownReason(wide.error, flags, timeoutMs);
      return { verdict: couldNotVerify(`${reason}, on its repeats made unbounded`), keep: true };
    }
    // Judged as the regex as written is: exponential and degree ≥ 3 are refused.
    if (wide.status === 'vulnerable' && !isAccepted(wide.complexity)) {
      const name = `${complexityName(wide.complexity)}, bounded only by its repeat counts`;
      return { verdict: catastrophic(name, wide.attack), keep: true };
    }
    return { verdict: undefined, keep: true };
  };

  return (regex) => {
    const flags = regex.flags.replace(IGNORED_FLAGS, '');
    const key = `${flags}/${regex.source}`;
    if (cache.has(key)) {
      const verdict = cache.get(key);
      // Least recently used goes first: a hit moves to the back.
      cache.delete(key);
      cache.set(key, verdict);
      return verdict;
    }
    const { verdict, keep } = judge(regex.source, flags);
    if (keep) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(key, verdict);
    }
    return verdict;
  };
}

let defaultCheck: ((regex: RegExp) => string | undefined) | undefined;

/**
 * Why a regex that arrived as data may not be used, or `undefined` when it may: the regex
 * safety check of `rx-recovery/files`. Synchronous: it blocks while recheck works (a few ms
 * for most regexes, up to a few seconds for long runs of repeats, never past recheck's 10 s
 * limit); verdicts are cached by source and flags, so a regex is judged once per process.
 *
 * In plain words: exponential and cubic-or-worse backtracking is refused with an attack
 * string that shows it; quadratic and linear regexes pass; a regex the checker cannot
 * judge is refused too, as "could not be verified".
 *
 * @example
 * ```ts
 * regexSafetyIssue(/\d{1,3}(\.\d{1,3}){3}/); // → undefined
 * regexSafetyIssue(new RegExp('.*error.*')); // → undefined (quadratic: bounded by the 8 KiB text cap)
 * regexSafetyIssue(/(a+)+$/);
 * // → 'regex can backtrack catastrophically (exponential; attack string
 * //    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u0000a"); set allowUnsafeRegex: true on this pattern to accept it'
 * ```
 * @param regex The compiled `match` of a pattern; its `g`, `y` and `d` flags are ignored.
 * @returns A one-line problem, or `undefined` when the regex is accepted.
 */
export function regexSafetyIssue(regex: RegExp): string | undefined {
  defaultCheck ??= createRegexSafetyCheck();
  return defaultCheck(regex);
}
