/**
 * JavaScript and TypeScript as `repairMissingAsync` reads them: tokens (comments skipped;
 * strings, templates and regex literals read whole), matched brackets, and the small readers over
 * tokens that the scope finder and the fix share.
 *
 * @module
 */
import { words } from './repairMissingAsyncText.js';

/** Words after which an expression starts: a `/` there begins a regex literal. */
export const EXPRESSION_WORDS = words(
  'return typeof instanceof in of new delete void throw case do else yield await extends',
);
export const DECLARATION_WORDS = words('const let var');
const MODIFIERS = words('static public private protected override readonly');
const SCAN_LIMIT = 256;

/**
 * The tokens of some code, by index: their text, kind, offset, whether a line break comes before
 * them, their matching bracket and the innermost bracket around them; and readers over them.
 */
export interface Source {
  text: string[];
  /**
   * One letter per token: `w` word (`#private` too), `v` value (string, number, regex literal,
   * template without substitutions), `p` punctuator, `o` `(` `[` `{`, `c` `)` `]` `}`, and the
   * parts of a template with substitutions: `h` `` `…${ ``, `m` `}…${`, `t` `` }…` ``.
   */
  kind: string;
  start: number[];
  newline: boolean[];
  /** For an opener, the index of its closer; for a closer, of its opener (`m`: its closer). */
  match: number[];
  /** The index of the innermost opener around each token (a closer: its opener's), or -1. */
  parent: number[];
  /** Whether token `k` exists and is of one of these kinds. */
  kindIn(k: number, kinds: string): boolean;
  /** `match[k]`, or -1. */
  pair(k: number): number;
  /** Whether an expression starts after token `k` (a `/` there begins a regex literal). */
  startsExpression(k: number): boolean;
  /** Whether a class or object member may start after token `k`, once modifiers are skipped. */
  startsMember(k: number): boolean;
  /** Whether `async` stands right before token `k`, on its line. */
  isAsyncBefore(k: number): boolean;
  /**
   * Walks back from `from` over at most {@link SCAN_LIMIT} tokens, skipping bracketed groups
   * (`<…>` included), and returns the first answer `visit` gives for a token outside them.
   */
  scanBack<T>(from: number, visit: (k: number) => T | undefined): T | undefined;
  /** Index of the `<` that opens the type parameters closed by the `>` at `close`, or -1. */
  openingAngle(close: number): number;
  /** For the `(` at `open`: the `<` of the type parameters right before it, or `open` itself. */
  typeParamsStart(open: number): number;
}

/** The tokens of the code with its brackets matched, or `undefined` when it cannot be read. */
export function readSource(code: string): Source | undefined {
  const text: string[] = [];
  const start: number[] = [];
  const newline: boolean[] = [];
  const match: number[] = [];
  const parent: number[] = [];
  const open: number[] = [];
  let kind = '';
  let newlineBefore = false;

  const kindIn = (k: number, kinds: string): boolean => kinds.includes(kind[k] ?? '-');
  const pair = (k: number): number => match[k] ?? -1;
  const startsExpression = (k: number): boolean =>
    kind[k] === 'w' ? EXPRESSION_WORDS.has(text[k]) : !kindIn(k, 'vct');
  const scanBack = <T>(from: number, visit: (k: number) => T | undefined): T | undefined => {
    const pending: number[] = [];
    for (let k = from; k >= 0 && k > from - SCAN_LIMIT; k--) {
      const answer = pending.length === 0 ? visit(k) : undefined;
      if (answer !== undefined) return answer;
      // A closer (`>` included) is pushed, and its opener must come back first.
      const closer = ')]}>'.indexOf(text[k] ?? '-');
      const opener = '([{<'.indexOf(text[k] ?? '-');
      if (closer >= 0) pending.push(closer);
      else if (opener >= 0 && pending.pop() !== opener) return undefined;
    }
    return undefined;
  };
  const openingAngle = (close: number): number =>
    scanBack(close - 1, (k) => {
      if (text[k] === '<') return k;
      return text[k] === ';' || text[k] === '{' ? -1 : undefined;
    }) ?? -1;
  const source: Source = {
    text,
    kind,
    start,
    newline,
    match,
    parent,
    kindIn,
    pair,
    startsExpression,
    startsMember(k) {
      let j = k;
      while (kind[j] === 'w' && MODIFIERS.has(text[j])) j--;
      return /^[{};,)]$/.test(text[j] ?? '') || (kind[j] === 'w' && text[j - 1] === '@');
    },
    isAsyncBefore: (k) => text[k - 1] === 'async' && !newline[k],
    scanBack,
    openingAngle,
    typeParamsStart: (open) => (text[open - 1] === '>' ? openingAngle(open - 1) : open),
  };

  // Groups: 1 skipped (shebang, spaces, comments), 2 value, 3 unterminated string or comment,
  // 4 word, 5 opener, 6 closer. A `/`, a `` ` `` and a `}` may be read again below.
  const token =
    /(^#![^\n]*|\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:\\[\s\S]|[^\\\n"])*"|'(?:\\[\s\S]|[^\\\n'])*'|\.?\d[\w.]*)|(["']|\/\*)|([\w$#\x80-\uffff][\w$\x80-\uffff]*)|([([{])|([)\]}])|=>|[\s\S]/y;
  /** The rest of a template part, after its `` ` `` or `}`: up to `` ` `` or `${`. */
  const template = /(?:\\[\s\S]|[^\\`$]|\$(?!\{))*(`|\$\{)/y;
  /** The rest of a regex literal, after its `/`. */
  const regex = /(?:\\[\s\S]|\[(?:\\[\s\S]|[^\\\n\]])*\]|[^\\\n/[])*\/[\w$\x80-\uffff]*/y;
  for (let m = token.exec(code); m; m = token.exec(code)) {
    const at = m.index;
    let [t, skipped, value, unterminated, word, opener, closer] = m;
    if (unterminated) return undefined;
    if (skipped) {
      newlineBefore ||= skipped.includes('\n');
      continue;
    }
    let k = value ? 'v' : word ? 'w' : opener ? 'o' : closer ? 'c' : 'p';
    const index = text.length;
    // A `}` closes a template substitution when the innermost open bracket is its `${`.
    if (t === '`' || (t === '}' && text[open.at(-1) ?? -1]?.endsWith('${'))) {
      template.lastIndex = at + 1;
      const closes = template.exec(code)?.[1];
      if (!closes) return undefined;
      token.lastIndex = template.lastIndex;
      t = code.slice(at, token.lastIndex);
      k = (t[0] === '`' ? 'vh' : 'tm').charAt(closes === '`' ? 0 : 1);
    } else if (t === '/' && startsExpression(index - 1)) {
      regex.lastIndex = at + 1;
      if (!regex.exec(code)) return undefined;
      token.lastIndex = regex.lastIndex;
      [t, k] = [code.slice(at, token.lastIndex), 'v'];
    }
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
  source.kind = kind;
  return open.length === 0 ? source : undefined;
}
