/**
 * The JavaScript and TypeScript half of `repairMissingAsync`: every `{` and `=>` is classified by
 * looking back at its head, and each `await` is given the innermost function scope around it.
 * What making that function async takes is decided in `repairMissingAsyncFix.ts`.
 *
 * @module
 */
import { asyncFix, type FunctionHead } from './repairMissingAsyncFix.js';
import type { AwaitSite, Insertion } from './repairMissingAsyncText.js';
import {
  DECLARATION_WORDS,
  isCloser,
  isClosingPunct,
  isOpener,
  isPunct,
  isWord,
  openingAngle,
  readSource,
  type Source,
  scanBack,
  startsExpression,
  startsMember,
  type Token,
} from './repairMissingAsyncTokens.js';

/**
 * What a scope means for an `await` inside it: a function (with `head: undefined` when its head
 * cannot be repaired, or for a parameter list), a class body (no function), or transparent.
 * `typeEnd` is the token after a function's return type: its `{` or `=>`.
 */
type ScopeInfo =
  | { kind: 'function'; head: FunctionHead | undefined; typeEnd: number }
  | { kind: BlockKind };
type BlockKind = 'class' | 'object' | 'block';
type Container = BlockKind | 'function';
type FunctionInfo = Extract<ScopeInfo, { kind: 'function' }>;

/** A scope opened at some token and closed at token `end` (exclusive). */
interface Scope {
  end: number;
  info: ScopeInfo;
}

const OBJECT_WORDS = new Set(['return', 'yield', 'await', 'typeof', 'void', 'in', 'of', 'throw']);
const CONTROL_WORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);
const CONTINUATION_WORDS = new Set(['in', 'instanceof', 'as', 'satisfies']);
const UNCERTAIN: FunctionInfo = { kind: 'function', head: undefined, typeEnd: -1 };

/** Every `await` in JavaScript or TypeScript code, or `undefined` when it cannot be read. */
export function javascriptAwaits(code: string): AwaitSite[] | undefined {
  const source = readSource(code);
  if (!source) return undefined;
  const scopes = classifyScopes(source);
  const fixes = new Map<FunctionInfo, Insertion[] | undefined>();
  const fixOf = (info: FunctionInfo | undefined): Insertion[] | undefined => {
    if (!info?.head) return undefined;
    if (!fixes.has(info)) fixes.set(info, asyncFix(source, info.head, info.typeEnd));
    return fixes.get(info);
  };
  const sites: AwaitSite[] = [];
  const open: Scope[] = [];
  for (const [index, token] of source.tokens.entries()) {
    while ((open.at(-1)?.end ?? Number.POSITIVE_INFINITY) <= index) open.pop();
    if (isAwait(source, index))
      sites.push({ line: token.line, fix: fixOf(enclosingFunction(open)) });
    const scope = scopes.get(index);
    if (scope) open.push(scope);
  }
  return sites;
}

function isAwait({ tokens }: Source, index: number): boolean {
  const next = tokens[index + 1];
  return (
    isWord(tokens[index], 'await') &&
    !isPunct(tokens[index - 1], '.') &&
    !isPunct(next, ':') &&
    !(isPunct(next, '=') && !isPunct(tokens[index + 2], '='))
  );
}

/** The innermost function around the open scopes; class bodies and the top level have none. */
function enclosingFunction(open: Scope[]): FunctionInfo | undefined {
  for (let k = open.length - 1; k >= 0; k--) {
    const info = open[k]?.info;
    if (info?.kind === 'function') return info;
    if (info?.kind === 'class') return undefined;
  }
  return undefined;
}

/** Function bodies, expression-bodied arrows, parameter lists and class bodies by start token. */
function classifyScopes(source: Source): Map<number, Scope> {
  const { tokens, match } = source;
  const scopes = new Map<number, Scope>();
  const containers: Array<{ end: number; kind: Container }> = [];
  const arrowEnds = arrowBodyEnds(source);
  const addFunction = (start: number, end: number, head: FunctionHead | undefined): void => {
    const typeEnd = isPunct(tokens[start - 1], '=>') ? start - 1 : start;
    scopes.set(start, { end, info: { kind: 'function', head, typeEnd } });
    const params = head?.params ?? -1;
    if (params >= 0) scopes.set(params, { end: match[params] ?? -1, info: UNCERTAIN });
  };
  for (const [index, token] of tokens.entries()) {
    while ((containers.at(-1)?.end ?? Number.POSITIVE_INFINITY) <= index) containers.pop();
    const end = match[index] ?? -1;
    const arrowEnd = arrowEnds.get(index);
    if (arrowEnd !== undefined) {
      const container = containers.at(-1)?.kind ?? 'block';
      if (!isDeclaredType(source, index, container)) {
        addFunction(index, arrowEnd, arrowHead(source, index));
      }
    } else if (isPunct(token, '{')) {
      const info = classifyBrace(source, index, containers.at(-1)?.kind ?? 'block');
      if (info.kind === 'function') addFunction(index, end, info.head);
      else if (info.kind === 'class') scopes.set(index, { end, info });
      containers.push({ end, kind: info.kind });
    } else if (isOpener(token)) containers.push({ end, kind: 'block' });
  }
  return scopes;
}

/**
 * Where each expression-bodied arrow's body ends (the index of the token after it), computed last
 * to first so that a chain `a => b => c` is scanned once.
 */
function arrowBodyEnds(source: Source): Map<number, number> {
  const { tokens } = source;
  const ends = new Map<number, number>();
  for (let k = tokens.length - 1; k >= 0; k--) {
    if (isPunct(tokens[k], '=>') && !isPunct(tokens[k + 1], '{')) {
      ends.set(k, arrowBodyEnd(source, k, ends));
    }
  }
  return ends;
}

/** The body ends at a `,` `;` or closer of its own level, or where a new statement starts. */
function arrowBodyEnd({ tokens, match }: Source, arrow: number, ends: Map<number, number>): number {
  let k = arrow + 1;
  while (k < tokens.length) {
    const token = tokens[k] as Token;
    const asi = token.newlineBefore && !startsExpression(tokens[k - 1]) && token.type === 'word';
    if (asi && !CONTINUATION_WORDS.has(token.text)) return k;
    if (isCloser(token) || isPunct(token, ',') || isPunct(token, ';')) return k;
    const nested = ends.get(k);
    if (nested !== undefined) return nested;
    if (!isOpener(token)) {
      k++;
      continue;
    }
    let close = match[k] ?? -1;
    while (tokens[close]?.type === 'tplMid') close = match[close] ?? -1;
    k = Math.max(close, k) + 1;
  }
  return tokens.length;
}

function classifyBrace(source: Source, brace: number, container: Container): ScopeInfo {
  const prev = source.tokens[brace - 1];
  if (isPunct(prev, '=>')) return { ...UNCERTAIN, head: arrowHead(source, brace - 1) };
  const close = isPunct(prev, ')')
    ? parenthesizedReturnType(source, brace - 1)
    : returnTypeParen(source, brace);
  if (close >= 0) return parenHead(source, close, container);
  if (isClassHead(source, brace)) return { kind: 'class' };
  return { kind: isObjectStart(prev) ? 'object' : 'block' };
}

function isObjectStart(prev: Token | undefined): boolean {
  if (prev?.type === 'punct') return '=([,:?|&!+-*%<>~^.'.includes(prev.text);
  if (prev?.type === 'word') return OBJECT_WORDS.has(prev.text);
  return prev?.type === 'tplHead' || prev?.type === 'tplMid';
}

/** For `(…): Type` ending before `end`, the index of `)`; -1 when there is no such return type. */
function returnTypeParen({ tokens }: Source, end: number): number {
  const typeToken = (token: Token): boolean =>
    token.type === 'punct' ? '.|&?'.includes(token.text) : /^(?:word|value)$/.test(token.type);
  const paren = scanBack(tokens, end - 1, (token, k) => {
    if (isPunct(token, ':')) return k < end - 1 && isPunct(tokens[k - 1], ')') ? k - 1 : -1;
    if (!isClosingPunct(token)) return typeToken(token) ? undefined : -1;
    // A group followed by a word or a `{` or `(` ends something else, such as a block.
    const next = k + 1 < end ? tokens[k + 1] : undefined;
    return next?.type === 'word' || isPunct(next, '{') || isPunct(next, '(') ? -1 : undefined;
  });
  return paren ?? -1;
}

/** `f(): (() => void) {`: the `)` of the parameters; otherwise `close` itself. */
function parenthesizedReturnType({ tokens, match }: Source, close: number): number {
  const open = match[close] ?? -1;
  return isPunct(tokens[open - 1], ':') && isPunct(tokens[open - 2], ')') ? open - 2 : close;
}

/** `class Name extends Base<T> implements I {`: the words before `{` include `class`. */
function isClassHead({ tokens }: Source, brace: number): boolean {
  const found = scanBack(tokens, brace - 1, (token) => {
    if (isWord(token, 'class')) return true;
    const allowed = token.type === 'word' || isPunct(token, '.') || isPunct(token, ',');
    return allowed || (isClosingPunct(token) && token.text !== '}') ? undefined : false;
  });
  return found === true;
}

/** Classifies `… ( … ) {` by what precedes the `(`: a function, a method or a control block. */
function parenHead(source: Source, close: number, container: Container): ScopeInfo {
  const { tokens, match } = source;
  const open = match[close] ?? -1;
  let p = open - 1;
  if (isPunct(tokens[p], '>')) p = openingAngle(tokens, p) - 1;
  if (p < 0) return UNCERTAIN;
  const token = tokens[p];
  const fn = (at: number): ScopeInfo => ({ ...UNCERTAIN, head: functionHead(tokens, at, open) });
  // In a class body, `function` is the name of a member, not a keyword.
  const isKeyword = (k: number): boolean => container !== 'class' && isWord(tokens[k], 'function');
  if (isKeyword(p)) return fn(p);
  if (isPunct(token, '*') && isKeyword(p - 1)) return fn(p - 1);
  if (token?.type === 'word') {
    if (isKeyword(p - 1)) return fn(p - 1);
    if (isPunct(tokens[p - 1], '*') && isKeyword(p - 2)) return fn(p - 2);
    if (isControlHead(tokens, p, container)) return { kind: 'block' };
    return methodHead(tokens, p, open, container);
  }
  if (token?.type === 'value') return methodHead(tokens, p, open, container);
  if (isPunct(token, ']')) return methodHead(tokens, match[p] ?? -1, open, container);
  if (isPunct(token, '?') && tokens[p - 1]?.type === 'word') {
    return methodHead(tokens, p - 1, open, container);
  }
  return UNCERTAIN;
}

function isControlHead(tokens: Token[], p: number, container: Container): boolean {
  const word = tokens[p]?.text ?? '';
  if (word === 'await') return isWord(tokens[p - 1], 'for');
  if (!CONTROL_WORDS.has(word) || container === 'class') return false;
  return container !== 'object' || word !== 'catch' || isPunct(tokens[p - 1], '}');
}

function isAsyncBefore(tokens: Token[], at: number): boolean {
  return isWord(tokens[at - 1], 'async') && !tokens[at]?.newlineBefore;
}

function functionHead(tokens: Token[], at: number, params: number): FunctionHead | undefined {
  return tokens[at] ? { first: at, isAsync: isAsyncBefore(tokens, at), params } : undefined;
}

/** A class or object-literal method; getters, setters and constructors cannot be async. */
function methodHead(
  tokens: Token[],
  name: number,
  params: number,
  container: Container,
): ScopeInfo {
  if (container !== 'class' && container !== 'object') return UNCERTAIN;
  if (isWord(tokens[name], 'constructor')) return UNCERTAIN;
  const at = isPunct(tokens[name - 1], '*') ? name - 1 : name;
  const before = tokens[at - 1];
  if (isWord(before, 'get') || isWord(before, 'set')) return UNCERTAIN;
  const isAsync = isAsyncBefore(tokens, at);
  if (!isAsync && !startsMember(tokens, at - 1)) return UNCERTAIN;
  return { ...UNCERTAIN, head: functionHead(tokens, at, params) };
}

const ARROW_PUNCTS = new Set(['=', '(', '[', ',', '?', ':', '{', '}', ';', '=>']);
const ARROW_WORDS = new Set(['return', 'yield', 'default', 'else', 'do']);

/**
 * Whether an arrow function may start after `prev`: where an assignment expression may, not
 * after an operator (`a | x => y` is no arrow; `: User | x =>` is a return type).
 */
function mayPrecedeArrow(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'punct') return ARROW_PUNCTS.has(prev.text);
  if (prev.type === 'word') return ARROW_WORDS.has(prev.text);
  return prev.type === 'tplHead' || prev.type === 'tplMid';
}

/** A bare arrow parameter is an identifier (not `#private`). */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * `const f: (x: X) => T = …`, a class field `f: (x: X) => T = …`: the `=>` of a function type,
 * which is no function, and whose "body" holds the initializer.
 */
function isDeclaredType({ tokens, match }: Source, arrow: number, container: Container): boolean {
  if (!isPunct(tokens[arrow - 1], ')')) return false;
  const open = match[arrow - 1] ?? -1;
  const head = isPunct(tokens[open - 1], '>') ? openingAngle(tokens, open - 1) : open;
  if (!isPunct(tokens[head - 1], ':')) return false;
  const name = ['?', '!'].some((text) => isPunct(tokens[head - 2], text)) ? head - 3 : head - 2;
  if (tokens[name]?.type !== 'word') return false;
  return container === 'class' || DECLARATION_WORDS.has(tokens[name - 1]?.text ?? '');
}

/** The head of the arrow function whose `=>` is at `arrow`. */
function arrowHead(source: Source, arrow: number): FunctionHead | undefined {
  const { tokens, match } = source;
  const prev = tokens[arrow - 1];
  // `(a): T =>`, also when `T` is a group: `(a): (() => void) =>`. After `f(a): T`, neither `T`
  // nor `(T)` is a parameter list that can be told apart from a type with certainty.
  const close = returnTypeParen(source, arrow);
  if (close >= 0) {
    const open = match[close] ?? -1;
    if (isPunct(tokens[open - 1], '?')) return undefined; // `a ? (b) : c => d` is ambiguous
    return parenArrowHead(source, open);
  }
  if (isPunct(prev, ')')) return parenArrowHead(source, match[arrow - 1] ?? -1);
  if (prev?.type !== 'word' || isPunct(tokens[arrow - 2], '.')) return undefined;
  if (!IDENTIFIER.test(prev.text)) return undefined;
  const isAsync = isAsyncBefore(tokens, arrow - 1);
  if (!isAsync && !mayPrecedeArrow(tokens[arrow - 2])) return undefined;
  return { first: arrow - 1, isAsync, params: -1 };
}

function parenArrowHead(source: Source, open: number): FunctionHead | undefined {
  const { tokens } = source;
  const head = isPunct(tokens[open - 1], '>') ? openingAngle(tokens, open - 1) : open;
  if (!tokens[head]) return undefined;
  if (isAsyncBefore(tokens, head)) return { first: head, isAsync: true, params: open };
  // After a value, `(…) =>` would be a call: not an arrow function that can be understood.
  if (!mayPrecedeArrow(tokens[head - 1])) return undefined;
  return { first: head, isAsync: false, params: open };
}
