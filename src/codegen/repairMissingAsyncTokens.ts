/**
 * JavaScript and TypeScript as `repairMissingAsync` reads them: tokens (comments skipped;
 * strings, templates and regex literals read whole) with their brackets matched.
 *
 * @module
 */
import { words } from './repairMissingAsyncText.js';

/** Words after which an expression starts: a `/` there begins a regex literal. */
export const EXPRESSION_WORDS = words(
  'return typeof instanceof in of new delete void throw case do else yield await extends',
);

/**
 * The tokens of some code, by index: their `text`; their `kind`; their offset in the code;
 * whether a line break comes before them; their `match`ing bracket (an opener: its closer; a
 * closer: its opener; a `m` template part: its closer); and the innermost opener around them (a
 * closer: its opener's), or -1.
 *
 * A kind is one letter: `w` word (`#private` too), `v` value (string, number, regex literal,
 * template without substitutions), `p` punctuator, `o` `(` `[` `{`, `c` `)` `]` `}`, and the parts
 * of a template with substitutions: `h` `` `…${ ``, `m` `}…${`, `t` `` }…` ``.
 */
export type Source = [
  text: string[],
  kind: string,
  start: number[],
  newline: boolean[],
  match: number[],
  parent: number[],
];

/** Whether an expression starts after token `k` (the start of the code included). */
export function startsExpression(text: string[], kind: string, k: number): boolean {
  return kind[k] === 'w' ? EXPRESSION_WORDS.has(text[k]) : !'vct'.includes(kind[k] ?? '-');
}

/** The tokens of the code with its brackets matched, or `undefined` when it cannot be read. */
export function readSource(code: string): Source | undefined {
  const source: Source = [[], '', [], [], [], []];
  const [text, , start, newline, match, parent] = source;
  const open: number[] = [];
  let kind = '';
  let newlineBefore = false;
  // Groups: 1 skipped (shebang, spaces, comments), 2 value, 3 unterminated string or comment,
  // 4 word, 5 opener, 6 closer. A `/`, a `` ` `` and a `}` may be read again below.
  const token =
    /(^#![^\n]*|\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:\\[\s\S]|[^\\\n"])*"|'(?:\\[\s\S]|[^\\\n'])*'|\.?\d[\w.]*)|(["']|\/\*)|([\w$#\x80-\uffff][\w$\x80-\uffff]*)|([([{])|([)\]}])|=>|[\s\S]/y;
  /** The rest of a template part, after its `` ` `` or `}`: up to `` ` `` or `${`. */
  const template = /(?:\\[\s\S]|[^\\`$]|\$(?!\{))*(`|\$\{)/y;
  /** The rest of a regex literal, after its `/`. */
  const regex = /(?:\\[\s\S]|\[(?:\\[\s\S]|[^\\\n\]])*\]|[^\\\n/[])*\/[\w$\x80-\uffff]*/y;
  /** Reads on from `at` with `rest` (after one character), or returns `undefined`. */
  const readOn = (rest: RegExp, at: number): RegExpExecArray | null => {
    rest.lastIndex = at + 1;
    const found = rest.exec(code);
    token.lastIndex = rest.lastIndex;
    return found;
  };
  for (let m = token.exec(code); m; m = token.exec(code)) {
    const at = m.index;
    const [, skipped, value, unterminated, word, opener, closer] = m;
    if (unterminated) return undefined;
    if (skipped) {
      newlineBefore ||= skipped.includes('\n');
      continue;
    }
    let k = value ? 'v' : word ? 'w' : opener ? 'o' : closer ? 'c' : 'p';
    const index = text.length;
    // A `}` closes a template substitution when the innermost open bracket is its `${`.
    if (m[0] === '`' || (m[0] === '}' && text[open.at(-1) ?? -1]?.endsWith('${'))) {
      const closes = readOn(template, at)?.[1];
      if (!closes) return undefined;
      k = (m[0] === '`' ? 'vh' : 'tm').charAt(closes === '`' ? 0 : 1);
    } else if (m[0] === '/' && startsExpression(text, kind, index - 1)) {
      if (!readOn(regex, at)) return undefined;
      k = 'v';
    }
    const t = code.slice(at, token.lastIndex);
    let other = -1;
    if ('cmt'.includes(k)) {
      other = open.pop() ?? -1;
      if (!['()', '[]', '{}'].includes(`${text[other]?.at(-1)}${t[0]}`)) return undefined;
      match[other] = index;
    }
    text.push(t);
    kind += k;
    start.push(at);
    newline.push(newlineBefore);
    match.push(other);
    parent.push(open.at(-1) ?? -1);
    if ('ohm'.includes(k)) open.push(index);
    newlineBefore = false;
  }
  source[1] = kind;
  return open.length === 0 ? source : undefined;
}
