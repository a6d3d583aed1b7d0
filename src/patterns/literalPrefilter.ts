/**
 * A regex source cut into tokens: an escape (`\.`, `\d`, `\x41`, `\u{1F600}`, `\p{L}`,
 * `\k<name>`, `\12`…), a character class, a `{n,m}` count, or any one character.
 */
const TOKEN =
  /\\(?:c[A-Za-z]|x[\dA-Fa-f]{2}|u\{[^}]*\}|u[\dA-Fa-f]{4}|[pP]\{[^}]*\}|k<[^>]*>|\d+|.)|\[(?:\\.|[^\\\]])*\]|\{\d*,?\d*\}|./gs;

/** A token that stands for itself: a plain character, or an escaped non-word one (`\.`). */
const LITERAL = /^(?:[^\\^$.|()[\]{}*+?]|\\\W)$/;

/**
 * A cheap test that rules a pattern out before its regex runs: the literal strings of
 * which at least one must occur in any text the regex matches (one per top-level
 * alternative, lower-cased when the regex has the `i` flag), or `null` when none is
 * certain. It may say "maybe" for a text the regex then rejects; it never says "no" to a
 * text the regex would match.
 *
 * Each top-level alternative gives its longest run of plain characters outside groups, of
 * at least three: a character that a `?`, `*` or count makes optional ends the run without
 * it; one that `+` repeats ends it after it. Case-insensitive runs are ASCII only, and
 * patterns with the `i` flag and `u` (or with `v`, whose classes nest) get no prefilter:
 * Unicode case folding maps some non-ASCII characters onto ASCII letters, which
 * lower-casing would not.
 */
export function literalPrefilter(regex: RegExp): string[] | null {
  const { ignoreCase, flags } = regex;
  if (/i.*u|v/.test(flags)) return null;
  const literals: string[] = [];
  let best = '';
  let run = '';
  let depth = 0;
  // The final '|' closes the last alternative.
  for (const [token] of `${regex.source}|`.matchAll(TOKEN)) {
    // Inside a group nothing is certain: only where it ends matters.
    if (depth > 0 && token !== '(' && token !== ')') continue;
    const char = token.at(-1) as string;
    if (LITERAL.test(token) && !(ignoreCase && char > '~')) {
      run += char;
      continue;
    }
    // Anything else ends the run; `?`, `*` or a count first takes back the atom it makes
    // optional (a `+` keeps it).
    if (/^[?*{]/.test(token)) run = run.slice(0, -1);
    if (run.length > best.length) best = run;
    run = '';
    if (token === '(') depth++;
    else if (token === ')') depth--;
    else if (token === '|') {
      if (best.length < 3) return null;
      literals.push(ignoreCase ? best.toLowerCase() : best);
      best = '';
    }
  }
  return literals;
}
