/**
 * A cheap test that rules a pattern out before its regex runs: the literal strings of
 * which at least one must occur in any text the regex matches. It may say "maybe" for a
 * text the regex then rejects; it never says "no" to a text the regex would match.
 */
export interface LiteralPrefilter {
  /** Compare against the lower-cased text (the regex has the `i` flag). */
  readonly caseInsensitive: boolean;
  /** One literal per top-level alternative; any of them may be present. */
  readonly literals: readonly string[];
}

/** Shorter literals rule too little out to be worth a check. */
const MIN_LITERAL = 3;
const ESCAPED_LITERAL = /^[^A-Za-z0-9]$/;
const ASCII = /^[\x20-\x7e]$/;

/** Index just past the group or class that starts at `start`, or -1 when unbalanced. */
function skipGroup(source: string, start: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

function skipClass(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i + 1;
  }
  return -1;
}

/** Splits a regex source on its top-level `|`. */
function topLevelBranches(source: string): string[] | null {
  const branches: string[] = [];
  let from = 0;
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\') i += 2;
    else if (ch === '[') i = skipClass(source, i);
    else if (ch === '(') i = skipGroup(source, i);
    else if (ch === '|') {
      branches.push(source.slice(from, i));
      from = ++i;
    } else i++;
    if (i < 0) return null;
  }
  branches.push(source.slice(from));
  return branches;
}

/** The longest run of characters that every match of this branch must contain. */
function longestLiteral(branch: string, asciiOnly: boolean): string {
  let best = '';
  let run = '';
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  let i = 0;
  while (i < branch.length) {
    const ch = branch[i] as string;
    let literal: string | null = null;
    let next = i + 1;
    if (ch === '\\') {
      const escaped = branch[i + 1] ?? '';
      next = escapeEnd(branch, i);
      if (ESCAPED_LITERAL.test(escaped)) literal = escaped;
    } else if (ch === '(') {
      next = skipGroup(branch, i);
    } else if (ch === '[') {
      next = skipClass(branch, i);
    } else if (!'^$.|)]{}*+?'.includes(ch)) {
      literal = ch;
    }
    if (next < 0) return '';
    const quantifier = branch[next];
    if (quantifier === '?' || quantifier === '*' || quantifier === '{') {
      // The atom may be absent (or its count is unknown): it ends the run, unused.
      endRun();
      next = skipQuantifier(branch, next);
    } else if (quantifier === '+') {
      if (literal !== null && (!asciiOnly || ASCII.test(literal))) run += literal;
      endRun();
      next = skipQuantifier(branch, next);
    } else if (literal !== null && (!asciiOnly || ASCII.test(literal))) {
      run += literal;
    } else {
      endRun();
    }
    i = next;
  }
  endRun();
  return best;
}

/** Index just past the escape sequence whose backslash is at `at` (`\\x41`, `\\u{1F600}`, `\\k<name>`, `\\12`…). */
function escapeEnd(source: string, at: number): number {
  const kind = source[at + 1] ?? '';
  const after = at + 2;
  const closing = (open: string, close: string) => {
    if (source[after] !== open) return after;
    const end = source.indexOf(close, after);
    return end < 0 ? source.length : end + 1;
  };
  const hexRun = (max: number) => {
    let i = after;
    while (i < after + max && /[0-9A-Fa-f]/.test(source[i] ?? '')) i++;
    return i;
  };
  switch (kind) {
    case 'c':
      return after + 1;
    case 'x':
      return hexRun(2);
    case 'u':
      return source[after] === '{' ? closing('{', '}') : hexRun(4);
    case 'p':
    case 'P':
      return closing('{', '}');
    case 'k':
      return closing('<', '>');
  }
  if (/[0-9]/.test(kind)) {
    let i = after;
    while (/[0-9]/.test(source[i] ?? '')) i++;
    return i;
  }
  return after;
}

function skipQuantifier(source: string, at: number): number {
  let i = at;
  if (source[i] === '{') {
    const close = source.indexOf('}', i);
    i = close < 0 ? i + 1 : close + 1;
  } else {
    i++;
  }
  return source[i] === '?' ? i + 1 : i;
}

/**
 * Derives a prefilter from a compiled regex, or `null` when none is certain. Patterns
 * with the `u`/`v` flags and `i` are left unfiltered: Unicode case folding maps some
 * non-ASCII characters onto ASCII letters, which lower-casing would not.
 */
export function literalPrefilter(regex: RegExp): LiteralPrefilter | null {
  const caseInsensitive = regex.ignoreCase;
  if (caseInsensitive && (regex.unicode || regex.flags.includes('v'))) return null;
  const branches = topLevelBranches(regex.source);
  if (branches === null) return null;
  const literals: string[] = [];
  for (const branch of branches) {
    const literal = longestLiteral(branch, caseInsensitive);
    if (literal.length < MIN_LITERAL) return null;
    literals.push(caseInsensitive ? literal.toLowerCase() : literal);
  }
  return Object.freeze({ caseInsensitive, literals: Object.freeze(literals) });
}
