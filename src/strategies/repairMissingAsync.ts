/**
 * The languages {@link repairMissingAsync} can repair.
 *
 * @inline
 */
export type CodeLanguage = 'javascript' | 'python';

/**
 * Options for {@link repairMissingAsync}.
 *
 * @inline
 */
export interface RepairMissingAsyncOptions {
  /** The language of `code`; detected when absent (Python only on clear signs). */
  language?: CodeLanguage;
  /** 1-based line of the offending `await`: only the function around it is repaired. */
  line?: number;
}

/** Where `async ` goes in front of a function, and whether the function is async already. */
interface FunctionHead {
  insertAt: number;
  isAsync: boolean;
  /** JavaScript only: token index of the parameter list's `(`, or -1 for a bare `x =>`. */
  params?: number;
}

/** One `await`, and the function it belongs to (`undefined`: not known with certainty). */
interface AwaitSite {
  line: number;
  head: FunctionHead | undefined;
}

/**
 * Makes the function that contains an offending `await` async, only when that is certain.
 *
 * Repairs "await is only valid in async functions" (JavaScript), "'await' expressions are only
 * allowed within async functions" (TypeScript) and "SyntaxError: 'await' outside async function"
 * (Python) by inserting `async ` in front of the innermost function around each such `await`.
 * With `options.line`, only the awaits on that line are considered. Nothing else is changed.
 *
 * It is the fix behind the built-in `missing_async_keyword` correction, exported for use
 * on its own. It never throws.
 *
 * In plain words: add the `async` the compiler asked for, or do nothing.
 *
 * @example
 * ```ts
 * import { repairMissingAsync } from 'rx-recovery';
 *
 * repairMissingAsync('const load = (id) => {\n  const row = await db.get(id);\n  return row;\n};');
 * // → 'const load = async (id) => {\n  const row = await db.get(id);\n  return row;\n};'
 *
 * repairMissingAsync('def load(id):\n    return await db.get(id)\n');
 * // → 'async def load(id):\n    return await db.get(id)\n'
 *
 * repairMissingAsync('await main();');
 * // → undefined (a top-level await: no function to make async)
 * ```
 * @param code The source code that failed to compile.
 * @param options The `language` (detected when absent) and the offending `line`.
 * @returns The repaired code, or `undefined` when there is nothing to repair or any affected
 * `await` cannot be placed with certainty (top level, class body, getter, setter, constructor,
 * `lambda`, an unparseable function head, unbalanced brackets, unterminated strings…).
 * @see correctErrors
 */
export function repairMissingAsync(
  code: string,
  options?: RepairMissingAsyncOptions,
): string | undefined {
  try {
    if (typeof code !== 'string') return undefined;
    const language = options?.language ?? detectLanguage(code);
    const sites = language === 'python' ? pythonAwaits(code) : javascriptAwaits(code);
    return sites && insertAsync(code, sites, options?.line);
  } catch {
    return undefined;
  }
}

function insertAsync(code: string, sites: AwaitSite[], line?: number): string | undefined {
  const offsets = new Set<number>();
  for (const site of sites) {
    if (line !== undefined && site.line !== line) continue;
    if (!site.head) return undefined;
    if (!site.head.isAsync) offsets.add(site.head.insertAt);
  }
  if (offsets.size === 0) return undefined;
  let out = '';
  let from = 0;
  for (const at of [...offsets].sort((a, b) => a - b)) {
    out += `${code.slice(from, at)}async `;
    from = at;
  }
  return out + code.slice(from);
}

const PYTHON_DEF = /^[ \t]*(?:async[ \t]+)?def[ \t]+[A-Za-z_]\w*[ \t]*\(/;

/** Python only with a `def name(` line, a line ending in `:` and no JavaScript-looking body. */
function detectLanguage(code: string): CodeLanguage {
  if (/\bfunction\b|=>/.test(code)) return 'javascript';
  const lines = code.split('\n').map((line) => line.trimEnd());
  if (lines.some((line) => /\)\s*\{$/.test(line))) return 'javascript';
  const endsBlock = (line: string): boolean => (line.split('#')[0] ?? '').trimEnd().endsWith(':');
  const python = lines.some((line) => PYTHON_DEF.test(line)) && lines.some(endsBlock);
  return python ? 'python' : 'javascript';
}

const WORD_CHAR = /[\w$\u0080-\uffff]/;

function countNewlines(code: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (code.charCodeAt(i) === 10) count++;
  return count;
}

function lineEnd(code: string, from: number): number {
  const end = code.indexOf('\n', from);
  return end < 0 ? code.length : end;
}

function wordEnd(code: string, from: number): number {
  let end = from;
  while (end < code.length && WORD_CHAR.test(code.charAt(end))) end++;
  return end;
}

/** End (exclusive) of a quoted string that may not span lines, or -1. */
function quotedEnd(code: string, from: number, quote: string): number {
  for (let i = from + 1; i < code.length; i++) {
    const c = code.charAt(i);
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (c === '\n') return -1;
  }
  return -1;
}

// ---------------------------------------------------------------- Python

interface PyLine {
  indent: string;
  kind: 'def' | 'async' | 'class' | 'other';
  start: number;
  /** Index of the enclosing logical line; -1 at top level, -2 when indentation is inconsistent. */
  parent: number;
}

interface PyAwait {
  line: number;
  logical: number;
  afterLambda: boolean;
}

function pythonAwaits(code: string): AwaitSite[] | undefined {
  const scan = scanPython(code);
  if (!scan) return undefined;
  linkParents(scan.lines);
  return scan.awaits.map(({ line, logical, afterLambda }) => ({
    line,
    head: afterLambda ? undefined : enclosingDef(scan.lines, logical),
  }));
}

function enclosingDef(lines: PyLine[], from: number): FunctionHead | undefined {
  for (let line = lines[from]; line; line = lines[line.parent]) {
    if (line.kind === 'class') return undefined;
    if (line.kind !== 'other') return { insertAt: line.start, isAsync: line.kind === 'async' };
  }
  return undefined;
}

/** The enclosing block of a logical line is the nearest earlier one that is less indented. */
function linkParents(lines: PyLine[]): void {
  const open: number[] = [];
  lines.forEach((line, index) => {
    while (line.indent.length <= (lines[open.at(-1) ?? -1]?.indent.length ?? -1)) open.pop();
    const parent = lines[open.at(-1) ?? -1];
    if (parent) line.parent = line.indent.startsWith(parent.indent) ? (open.at(-1) ?? -1) : -2;
    open.push(index);
  });
}

function headerKind(code: string, at: number): PyLine['kind'] {
  const header = /(?:(async)[ \t]+)?(def|class)\b/y;
  header.lastIndex = at;
  const match = header.exec(code);
  if (!match) return 'other';
  if (match[2] === 'class') return 'class';
  return match[1] ? 'async' : 'def';
}

/** End (exclusive) of a Python string literal starting at `from`, or -1. */
function pythonStringEnd(code: string, from: number): number {
  const quote = code.charAt(from);
  const triple = quote.repeat(3);
  if (!code.startsWith(triple, from)) return quotedEnd(code, from, quote);
  for (let i = from + 3; i < code.length; i++) {
    if (code.charAt(i) === '\\') i++;
    else if (code.startsWith(triple, i)) return i + 3;
  }
  return -1;
}

function scanPython(code: string): { lines: PyLine[]; awaits: PyAwait[] } | undefined {
  const lines: PyLine[] = [];
  const awaits: PyAwait[] = [];
  let depth = 0;
  let line = 1;
  let atLineStart = true;
  let afterLambda = false;
  let i = 0;
  while (i < code.length) {
    const c = code.charAt(i);
    if (atLineStart) {
      atLineStart = false;
      let indentEnd = i;
      while (code.charAt(indentEnd) === ' ' || code.charAt(indentEnd) === '\t') indentEnd++;
      if (!['', '\r', '\n', '#'].includes(code.charAt(indentEnd))) {
        const indent = code.slice(i, indentEnd);
        lines.push({ indent, kind: headerKind(code, indentEnd), start: indentEnd, parent: -1 });
        afterLambda = false;
      }
      i = indentEnd;
    } else if (c === '\n') {
      line++;
      i++;
      atLineStart = depth === 0;
    } else if (c === '\\') {
      const next = code.startsWith('\r\n', i + 1) ? i + 2 : i + 1;
      if (code.charAt(next) === '\n') line++;
      i = next + 1;
    } else if (c === '#') {
      i = lineEnd(code, i);
    } else if (c === '"' || c === "'") {
      const end = pythonStringEnd(code, i);
      if (end < 0) return undefined;
      line += countNewlines(code, i, end);
      i = end;
    } else if (WORD_CHAR.test(c)) {
      const end = wordEnd(code, i);
      const word = code.slice(i, end);
      if (word === 'await') awaits.push({ line, logical: lines.length - 1, afterLambda });
      if (word === 'lambda') afterLambda = true;
      i = end;
    } else {
      if ('([{'.includes(c)) depth++;
      if (')]}'.includes(c) && --depth < 0) return undefined;
      i++;
    }
  }
  return depth === 0 ? { lines, awaits } : undefined;
}

// ---------------------------------------------------------------- JavaScript / TypeScript
// The code is tokenized (strings, comments, templates and regex literals skipped), brackets are
// matched, every `{` and `=>` is classified by looking back at its head, and each `await` is
// given the innermost function scope around it.

type TokenType = 'word' | 'punct' | 'value' | 'tplHead' | 'tplMid' | 'tplTail';

interface Token {
  type: TokenType;
  text: string;
  start: number;
  line: number;
  newlineBefore: boolean;
}

interface Source {
  tokens: Token[];
  /** For an opener, the index of its closer; for a closer, the index of its opener. */
  match: number[];
}

/**
 * What a scope means for an `await` inside it: a function (with `head: undefined` when its head
 * cannot be repaired, or for a parameter list), a class body (no function), or transparent.
 */
type ScopeInfo = { kind: 'function'; head: FunctionHead | undefined } | { kind: BlockKind };
type BlockKind = 'class' | 'object' | 'block';
type Container = BlockKind | 'function';

/** A scope opened at some token and closed at token `end` (exclusive). */
interface Scope {
  end: number;
  info: ScopeInfo;
}

/** Words after which an expression starts: a `/` there begins a regex literal. */
const EXPRESSION_WORDS = new Set(
  'return typeof instanceof in of new delete void throw case do else yield await extends'.split(
    ' ',
  ),
);
const OBJECT_WORDS = new Set(['return', 'yield', 'await', 'typeof', 'void', 'in', 'of', 'throw']);
const CONTROL_WORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);
const MODIFIERS = new Set(['static', 'public', 'private', 'protected', 'override', 'readonly']);
const CONTINUATION_WORDS = new Set(['in', 'instanceof', 'as', 'satisfies']);
const OPENER_OF: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{', '>': '<' };
const SCAN_LIMIT = 256;
const UNCERTAIN: ScopeInfo = { kind: 'function', head: undefined };

function isPunct(token: Token | undefined, text: string): boolean {
  return token?.type === 'punct' && token.text === text;
}

function isWord(token: Token | undefined, text: string): boolean {
  return token?.type === 'word' && token.text === text;
}

function isOpener({ type, text }: Token): boolean {
  return type === 'tplHead' || type === 'tplMid' || (type === 'punct' && '([{'.includes(text));
}

function isCloser({ type, text }: Token): boolean {
  return type === 'tplTail' || type === 'tplMid' || (type === 'punct' && ')]}'.includes(text));
}

function startsExpression(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'word') return EXPRESSION_WORDS.has(prev.text);
  if (prev.type === 'punct') return !')]}'.includes(prev.text);
  return prev.type === 'tplHead' || prev.type === 'tplMid';
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

function javascriptAwaits(code: string): AwaitSite[] | undefined {
  const tokens = tokenize(code);
  const match = tokens && matchBrackets(tokens);
  if (!tokens || !match) return undefined;
  const source: Source = { tokens, match };
  const scopes = classifyScopes(source);
  const sites: AwaitSite[] = [];
  const open: Scope[] = [];
  for (const [index, token] of tokens.entries()) {
    while ((open.at(-1)?.end ?? Number.POSITIVE_INFINITY) <= index) open.pop();
    if (isAwait(source, index)) sites.push({ line: token.line, head: enclosingHead(open) });
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
function enclosingHead(open: Scope[]): FunctionHead | undefined {
  for (let k = open.length - 1; k >= 0; k--) {
    const info = open[k]?.info;
    if (info?.kind === 'function') return info.head;
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
    scopes.set(start, { end, info: { kind: 'function', head } });
    const params = head?.params ?? -1;
    if (params >= 0) scopes.set(params, { end: match[params] ?? -1, info: UNCERTAIN });
  };
  for (const [index, token] of tokens.entries()) {
    while ((containers.at(-1)?.end ?? Number.POSITIVE_INFINITY) <= index) containers.pop();
    const end = match[index] ?? -1;
    const arrowEnd = arrowEnds.get(index);
    if (arrowEnd !== undefined) {
      addFunction(index, arrowEnd, arrowHead(source, index));
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
  if (isPunct(prev, '=>')) return { kind: 'function', head: arrowHead(source, brace - 1) };
  const close = isPunct(prev, ')') ? brace - 1 : returnTypeParen(source, brace);
  if (close >= 0) return parenHead(source, close, container);
  if (isClassHead(source, brace)) return { kind: 'class' };
  return { kind: isObjectStart(prev) ? 'object' : 'block' };
}

function isObjectStart(prev: Token | undefined): boolean {
  if (prev?.type === 'punct') return '=([,:?|&!+-*%<>~^.'.includes(prev.text);
  if (prev?.type === 'word') return OBJECT_WORDS.has(prev.text);
  return prev?.type === 'tplHead' || prev?.type === 'tplMid';
}

/**
 * Walks back from `from` over at most {@link SCAN_LIMIT} tokens, skipping bracketed groups
 * (`<…>` included), and returns the first answer `visit` gives for a token outside them.
 */
function scanBack<T>(
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

function isClosingPunct(token: Token): boolean {
  return token.type === 'punct' && OPENER_OF[token.text] !== undefined;
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

/** Index of the `<` that opens the type parameters closed by the `>` at `close`, or -1. */
function openingAngle({ tokens }: Source, close: number): number {
  const angle = scanBack(tokens, close - 1, (token, k) => {
    if (isPunct(token, '<')) return k;
    return isPunct(token, ';') || isPunct(token, '{') ? -1 : undefined;
  });
  return angle ?? -1;
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
  if (isPunct(tokens[p], '>')) p = openingAngle(source, p) - 1;
  if (p < 0) return UNCERTAIN;
  const token = tokens[p];
  const fn = (at: number): ScopeInfo => ({
    kind: 'function',
    head: functionHead(tokens, at, open),
  });
  if (isWord(token, 'function')) return fn(p);
  if (isPunct(token, '*') && isWord(tokens[p - 1], 'function')) return fn(p - 1);
  if (token?.type === 'word') {
    if (isWord(tokens[p - 1], 'function')) return fn(p - 1);
    if (isPunct(tokens[p - 1], '*') && isWord(tokens[p - 2], 'function')) return fn(p - 2);
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
  const start = tokens[at]?.start;
  return start === undefined
    ? undefined
    : { insertAt: start, isAsync: isAsyncBefore(tokens, at), params };
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
  return { kind: 'function', head: functionHead(tokens, at, params) };
}

/** Whether a member may start after `tokens[k]`, once modifiers are skipped. */
function startsMember(tokens: Token[], k: number): boolean {
  let j = k;
  while (tokens[j]?.type === 'word' && MODIFIERS.has(tokens[j]?.text ?? '')) j--;
  const token = tokens[j];
  if (token?.type === 'punct' && '{};,)'.includes(token.text)) return true;
  return token?.type === 'word' && isPunct(tokens[j - 1], '@');
}

/** The head of the arrow function whose `=>` is at `arrow`. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

function arrowHead(source: Source, arrow: number): FunctionHead | undefined {
  const { tokens, match } = source;
  const prev = tokens[arrow - 1];
  if (isPunct(prev, ')')) return parenArrowHead(source, match[arrow - 1] ?? -1);
  const close = returnTypeParen(source, arrow);
  if (close >= 0) {
    const open = match[close] ?? -1;
    if (isPunct(tokens[open - 1], '?')) return undefined; // `a ? (b) : c => d` is ambiguous
    const head = parenArrowHead(source, open);
    if (head) return head;
  }
  if (prev?.type !== 'word' || isPunct(tokens[arrow - 2], '.')) return undefined;
  // A bare parameter is an identifier (not `#private`), where an expression may start.
  if (!IDENTIFIER.test(prev.text)) return undefined;
  const isAsync = isAsyncBefore(tokens, arrow - 1);
  if (!isAsync && !startsExpression(tokens[arrow - 2])) return undefined;
  return { insertAt: prev.start, isAsync, params: -1 };
}

function parenArrowHead(source: Source, open: number): FunctionHead | undefined {
  const { tokens } = source;
  const head = isPunct(tokens[open - 1], '>') ? openingAngle(source, open - 1) : open;
  const start = tokens[head]?.start;
  if (start === undefined) return undefined;
  if (isAsyncBefore(tokens, head)) return { insertAt: start, isAsync: true, params: open };
  // After a value, `(…) =>` would be a call: not an arrow function that can be understood.
  if (head > 0 && !startsExpression(tokens[head - 1])) return undefined;
  return { insertAt: start, isAsync: false, params: open };
}
