/**
 * JavaScript and TypeScript as `repairMissingAsync` reads them: tokens (strings, comments,
 * templates and regex literals skipped), matched brackets, and small predicates over tokens.
 *
 * @module
 */
import { countNewlines, lineEnd, quotedEnd, WORD_CHAR, wordEnd } from './repairMissingAsyncText.js';

type TokenType = 'word' | 'punct' | 'value' | 'tplHead' | 'tplMid' | 'tplTail';

export interface Token {
  type: TokenType;
  text: string;
  start: number;
  line: number;
  newlineBefore: boolean;
}

export interface Source {
  tokens: Token[];
  /** For an opener, the index of its closer; for a closer, the index of its opener. */
  match: number[];
  /** The index of the innermost opener around each token (a closer: its opener's), or -1. */
  parent: number[];
}

/** Words after which an expression starts: a `/` there begins a regex literal. */
export const EXPRESSION_WORDS = new Set(
  'return typeof instanceof in of new delete void throw case do else yield await extends'.split(
    ' ',
  ),
);
export const DECLARATION_WORDS = new Set(['const', 'let', 'var']);
export const OPENER_OF: Readonly<Record<string, string>> = {
  ')': '(',
  ']': '[',
  '}': '{',
  '>': '<',
};
const MODIFIERS = new Set(['static', 'public', 'private', 'protected', 'override', 'readonly']);
const SCAN_LIMIT = 256;

export function isPunct(token: Token | undefined, text: string): boolean {
  return token?.type === 'punct' && token.text === text;
}

export function isWord(token: Token | undefined, text: string): boolean {
  return token?.type === 'word' && token.text === text;
}

export function isOpener({ type, text }: Token): boolean {
  return type === 'tplHead' || type === 'tplMid' || (type === 'punct' && '([{'.includes(text));
}

export function isCloser({ type, text }: Token): boolean {
  return type === 'tplTail' || type === 'tplMid' || (type === 'punct' && ')]}'.includes(text));
}

export function isClosingPunct(token: Token): boolean {
  return token.type === 'punct' && OPENER_OF[token.text] !== undefined;
}

export function startsExpression(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'word') return EXPRESSION_WORDS.has(prev.text);
  if (prev.type === 'punct') return !')]}'.includes(prev.text);
  return prev.type === 'tplHead' || prev.type === 'tplMid';
}

/** Whether a class or object member may start after `tokens[k]`, once modifiers are skipped. */
export function startsMember(tokens: Token[], k: number): boolean {
  let j = k;
  while (tokens[j]?.type === 'word' && MODIFIERS.has(tokens[j]?.text ?? '')) j--;
  const token = tokens[j];
  if (token?.type === 'punct' && '{};,)'.includes(token.text)) return true;
  return token?.type === 'word' && isPunct(tokens[j - 1], '@');
}

/** End (exclusive) of the token. */
export function tokenEnd(token: Token): number {
  return token.start + token.text.length;
}

/**
 * Walks back from `from` over at most {@link SCAN_LIMIT} tokens, skipping bracketed groups
 * (`<…>` included), and returns the first answer `visit` gives for a token outside them.
 */
export function scanBack<T>(
  tokens: Token[],
  from: number,
  visit: (token: Token, k: number) => T | undefined,
): T | undefined {
  const pending: string[] = [];
  for (let k = from; k >= 0 && k > from - SCAN_LIMIT; k--) {
    const token = tokens[k] as Token;
    const answer = pending.length === 0 ? visit(token, k) : undefined;
    if (answer !== undefined) return answer;
    const opener = token.type === 'punct' ? OPENER_OF[token.text] : undefined;
    if (opener) pending.push(opener);
    else if (token.type === 'punct' && '([{<'.includes(token.text)) {
      if (pending.pop() !== token.text) return undefined;
    }
  }
  return undefined;
}

/** Index of the `<` that opens the type parameters closed by the `>` at `close`, or -1. */
export function openingAngle(tokens: Token[], close: number): number {
  const angle = scanBack(tokens, close - 1, (token, k) => {
    if (isPunct(token, '<')) return k;
    return isPunct(token, ';') || isPunct(token, '{') ? -1 : undefined;
  });
  return angle ?? -1;
}

/** The tokens of the code with its brackets matched, or `undefined` when it cannot be read. */
export function readSource(code: string): Source | undefined {
  const tokens = tokenize(code);
  const match = tokens && matchBrackets(tokens);
  if (!tokens || !match) return undefined;
  const parent: number[] = [];
  const open: number[] = [];
  for (const [index, token] of tokens.entries()) {
    if (isCloser(token)) open.pop();
    parent.push(open.at(-1) ?? -1);
    if (isOpener(token)) open.push(index);
  }
  return { tokens, match, parent };
}

/** End (exclusive) of a template part starting after `` ` `` or `}`, and whether it closes. */
function templatePart(code: string, from: number): { end: number; closed: boolean } {
  for (let i = from; i < code.length; i++) {
    const c = code.charAt(i);
    if (c === '\\') i++;
    else if (c === '`') return { end: i + 1, closed: true };
    else if (c === '$' && code.charAt(i + 1) === '{') return { end: i + 2, closed: false };
  }
  return { end: -1, closed: true };
}

function regexEnd(code: string, from: number): number {
  let inClass = false;
  for (let i = from + 1; i < code.length; i++) {
    const c = code.charAt(i);
    if (c === '\\') i++;
    else if (c === '\n') return -1;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return wordEnd(code, i + 1);
  }
  return -1;
}

/** Splits code into tokens, skipping comments; `undefined` when something is unterminated. */
function tokenize(code: string): Token[] | undefined {
  const tokens: Token[] = [];
  const braces: boolean[] = []; // true: the brace closes a template substitution `${`
  let i = code.startsWith('#!') ? lineEnd(code, 0) : 0;
  let line = 1;
  let newlineBefore = false;
  while (i < code.length) {
    const c = code.charAt(i);
    const next = code.charAt(i + 1);
    let type: TokenType = 'punct';
    let end = i + 1;
    if (/\s/.test(c)) {
      if (c === '\n') [line, newlineBefore] = [line + 1, true];
      i++;
      continue;
    }
    if (c === '/' && (next === '/' || next === '*')) {
      const close = next === '/' ? lineEnd(code, i) : code.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      const newlines = next === '*' ? countNewlines(code, i, close) : 0;
      [line, newlineBefore, i] = [line + newlines, newlineBefore || newlines > 0, close + 2];
      if (next === '/') i = close;
      continue;
    }
    if (c === '"' || c === "'") [type, end] = ['value', quotedEnd(code, i, c)];
    else if (c === '`' || (c === '}' && braces.at(-1) === true)) {
      if (c === '}') braces.pop();
      const part = templatePart(code, i + 1);
      end = part.end;
      if (!part.closed) braces.push(true);
      type = c === '`' ? (part.closed ? 'value' : 'tplHead') : part.closed ? 'tplTail' : 'tplMid';
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(next))) {
      [type, end] = ['value', i + 1];
      while (end < code.length && /[\w.]/.test(code.charAt(end))) end++;
    } else if (WORD_CHAR.test(c) || c === '#') [type, end] = ['word', wordEnd(code, i + 1)];
    else if (c === '/' && startsExpression(tokens.at(-1)))
      [type, end] = ['value', regexEnd(code, i)];
    else if (c === '=' && next === '>') end = i + 2;
    else if (c === '{') braces.push(false);
    else if (c === '}' && braces.pop() === undefined) return undefined;
    if (end < 0) return undefined;
    tokens.push({ type, text: code.slice(i, end), start: i, line, newlineBefore });
    line += countNewlines(code, i, end);
    newlineBefore = false;
    i = end;
  }
  return braces.length === 0 ? tokens : undefined;
}

function matchBrackets(tokens: Token[]): number[] | undefined {
  const match = tokens.map(() => -1);
  const open: number[] = [];
  for (const [index, token] of tokens.entries()) {
    if (isCloser(token)) {
      const opener = open.pop();
      const text = tokens[opener ?? -1]?.text ?? '';
      const isTemplate = token.type !== 'punct';
      if (
        opener === undefined ||
        (isTemplate ? !text.endsWith('${') : OPENER_OF[token.text] !== text)
      ) {
        return undefined;
      }
      match[opener] = index;
      match[index] = opener;
    }
    if (isOpener(token)) open.push(index);
  }
  return open.length === 0 ? match : undefined;
}
