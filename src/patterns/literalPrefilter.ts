/**
 * A regex source cut into tokens: an escape (`\.`, `\d`, `\x41`, `\u{1F600}`, `\p{L}`,
 * `\k<name>`, `\12`…), a character class, a `{n,m}` count, or any one character. Group 1
 * or 2 holds the character a token stands for, when it is one: an escaped non-word
 * character (`\.`), or a plain one.
 */
const TOKEN =
  /\\(?:(\W)|c[A-Za-z]|x[\dA-Fa-f]{2}|[pPu]\{[^}]*\}|u[\dA-Fa-f]{4}|k<[^>]*>|\d+|.)|\[(?:\\.|[^\\\]])*\]|\{\d*,?\d*\}|([^^$.|()[\]{}*+?])|./gs;

/**
 * A cheap test that rules a pattern out before its regex runs: the literal strings of
 * which at least one must occur in any text the regex matches (one per top-level
 * alternative, lower-cased when the regex has the `i` flag), or `null` when none is
 * certain. It may say "maybe" for a text the regex then rejects; it never says "no" to a
 * text the regex would match.
 *
 * Each top-level alternative gives its longest run of plain characters outside groups, of
 * at least three: a character that a `?`, `*` or count makes optional ends the run without
 * it; one that `+` repeats ends it after it. Runs are ASCII only: the index looks for
 * them in the lower-cased text, and lower-casing may turn a non-ASCII character into
 * another according to its neighbours (`Σ` into `ς` or `σ`). Patterns with the `i` flag
 * and `u` (or with `v`, whose classes nest) get no prefilter: Unicode case folding maps
 * some non-ASCII characters onto ASCII letters, which lower-casing would not.
 */
export function literalPrefilter(regex: RegExp): string[] | null {
  if (/i.*u|v/.test(regex.flags)) return null;
  const literals: string[] = [];
  let best = '';
  let run = '';
  let depth = 0;
  // The final '|' closes the last alternative.
  for (const [token, escaped, plain] of `${regex.source}|`.matchAll(TOKEN)) {
    // Inside a group nothing is certain: only where it ends matters.
    if (depth && token !== '(' && token !== ')') continue;
    const char = escaped ?? plain;
    if (char && char <= '~') {
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
      literals.push(regex.ignoreCase ? best.toLowerCase() : best);
      best = '';
    }
  }
  return literals;
}
