/**
 * The JavaScript and TypeScript half of `repairMissingAsync`: every `{` and `=>` is classified by
 * looking back at its head, and each `await` is given the innermost function scope around it.
 * What making that function async takes is decided in `repairMissingAsyncFix.ts`.
 *
 * @module
 */
import { asyncFixer, type FunctionHead } from './repairMissingAsyncFix.js';
import { type AwaitSite, type Insertion, lineAt, words } from './repairMissingAsyncText.js';
import { DECLARATION_WORDS, readSource } from './repairMissingAsyncTokens.js';

/**
 * A scope opened at some token and closed at token `end` (exclusive): a function, whose `head`
 * is `undefined` when it cannot be repaired, or a class body (no function, no `head`).
 * `typeEnd` is the token after a function's return type: its `{` or `=>`.
 */
interface Scope {
  end: number;
  head?: FunctionHead | undefined;
  typeEnd?: number;
}

/**
 * What a `{` opens: a function (its head, `undefined` when it cannot be repaired), or a block
 * of one of these kinds.
 */
type Brace = FunctionHead | undefined | Container;
type Container = 'class' | 'object' | 'block' | 'function';

/** What may stand before a `{` that opens an object literal. */
const OBJECT_STARTS = words(
  'return yield await typeof void in of throw = ( [ , : ? | & ! + - * % < > ~ ^ .',
);
/** What may stand before an arrow function: where an assignment expression may start. */
const ARROW_STARTS = words('= ( [ , ? : { } ; => return yield default else do');
const CONTROL_WORDS = words('if for while switch catch with');
const CONTINUATION_WORDS = words('in instanceof as satisfies');

/** A bare arrow parameter is an identifier (not `#private`). */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** Every `await` in JavaScript or TypeScript code, or `undefined` when it cannot be read. */
export function javascriptAwaits(code: string): AwaitSite[] | undefined {
  const source = readSource(code);
  if (!source) return undefined;
  const { text, kind, start, kindIn, pair, parent, startsExpression } = source;
  const { scanBack, startsMember, isAsyncBefore, typeParamsStart } = source;
  const asyncFix = asyncFixer(source);

  /** After token `k`, may an arrow function start (not after an operator: `a | x => y`)? */
  const mayPrecedeArrow = (k: number): boolean =>
    text[k] === undefined || ARROW_STARTS.has(text[k]) || kindIn(k, 'hm');

  const functionHead = (first: number, params: number): FunctionHead | undefined =>
    text[first] === undefined ? undefined : { first, params };

  /** For `(…): Type` ending before `end`, the index of `)`; -1 when there is no such return type. */
  const returnTypeParen = (end: number): number =>
    scanBack(end - 1, (k) => {
      if (text[k] === ':') return k < end - 1 && text[k - 1] === ')' ? k - 1 : -1;
      if (!(kind[k] === 'c' || text[k] === '>')) {
        return kindIn(k, 'wv') || /^[.|&?]$/.test(text[k] ?? '') ? undefined : -1;
      }
      // A group followed by a word or a `{` or `(` ends something else, such as a block.
      const next = k + 1 < end ? k + 1 : -1;
      return kind[next] === 'w' || text[next] === '{' || text[next] === '(' ? -1 : undefined;
    }) ?? -1;

  /** The head of the arrow function with a `(`…`)` parameter list opened at `open`. */
  const parenArrowHead = (open: number): FunctionHead | undefined => {
    const head = typeParamsStart(open);
    // After a value, `(…) =>` would be a call: not an arrow function that can be understood.
    return isAsyncBefore(head) || mayPrecedeArrow(head - 1) ? functionHead(head, open) : undefined;
  };

  /** The head of the arrow function whose `=>` is at `arrow`. */
  const arrowHead = (arrow: number): FunctionHead | undefined => {
    // `(a): T =>`, also when `T` is a group: `(a): (() => void) =>`. After `f(a): T`, neither `T`
    // nor `(T)` is a parameter list that can be told apart from a type with certainty.
    const close = returnTypeParen(arrow);
    if (close >= 0) {
      // `a ? (b) : c => d` is ambiguous
      return text[pair(close) - 1] === '?' ? undefined : parenArrowHead(pair(close));
    }
    const at = arrow - 1;
    if (text[at] === ')') return parenArrowHead(pair(at));
    if (kind[at] !== 'w' || text[at - 1] === '.' || !IDENTIFIER.test(text[at] ?? '')) return;
    return isAsyncBefore(at) || mayPrecedeArrow(at - 1) ? functionHead(at, -1) : undefined;
  };

  /**
   * `const f: (x: X) => T = …`, a class field `f: (x: X) => T = …`: the `=>` of a function type,
   * which is no function, and whose "body" holds the initializer.
   */
  const isDeclaredType = (arrow: number, container: Container): boolean => {
    if (text[arrow - 1] !== ')') return false;
    const head = typeParamsStart(pair(arrow - 1));
    const name = /^[?!]$/.test(text[head - 2] ?? '') ? head - 3 : head - 2;
    return (
      text[head - 1] === ':' &&
      kind[name] === 'w' &&
      (container === 'class' || DECLARATION_WORDS.has(text[name - 1]))
    );
  };

  /** A class or object-literal method; getters, setters and constructors cannot be async. */
  const methodHead = (name: number, params: number, container: Container): Brace => {
    if (!/^(class|object)$/.test(container) || text[name] === 'constructor') return undefined;
    const at = text[name - 1] === '*' ? name - 1 : name;
    if (text[at - 1] === 'get' || text[at - 1] === 'set') return undefined;
    return isAsyncBefore(at) || startsMember(at - 1) ? functionHead(at, params) : undefined;
  };

  const isControlHead = (p: number, container: Container): boolean => {
    const word = text[p];
    if (word === 'await') return text[p - 1] === 'for';
    if (!CONTROL_WORDS.has(word) || container === 'class') return false;
    return container !== 'object' || word !== 'catch' || text[p - 1] === '}';
  };

  /** Classifies `… ( … ) {` by what precedes the `(`: a function, a method or a control block. */
  const parenHead = (close: number, container: Container): Brace => {
    const open = pair(close);
    const p = typeParamsStart(open) - 1;
    if (p < 0) return undefined;
    // `function (`, `function* (`, `function name (`, `function* name (`; in a class body,
    // `function` is the name of a member, not a keyword.
    const isKeyword = (k: number): boolean => container !== 'class' && text[k] === 'function';
    let q = kind[p] === 'w' && !isKeyword(p) ? p - 1 : p;
    if (text[q] === '*') q--;
    if (isKeyword(q)) return functionHead(q, open);
    if (kind[p] === 'w' && isControlHead(p, container)) return 'block';
    // A method named by a word, a string or number, `[computed]`, or `name?`.
    const name = kindIn(p, 'wv')
      ? p
      : text[p] === ']'
        ? pair(p)
        : text[p] === '?' && kind[p - 1] === 'w'
          ? p - 1
          : -1;
    return name < 0 ? undefined : methodHead(name, open, container);
  };

  /** `class Name extends Base<T> implements I {`: the words before `{` include `class`. */
  const isClassHead = (brace: number): boolean =>
    scanBack(
      brace - 1,
      (k) =>
        text[k] === 'class' ||
        (kind[k] === 'w' || /^[.,)\]>]$/.test(text[k] ?? '') ? undefined : false),
    ) === true;

  const classifyBrace = (brace: number, container: Container): Brace => {
    const prev = brace - 1;
    if (text[prev] === '=>') return arrowHead(prev);
    // `f(): (() => void) {`: the `)` of the parameters; otherwise the `)` before a return type.
    const open = pair(prev);
    const close =
      text[prev] !== ')'
        ? returnTypeParen(brace)
        : text[open - 1] === ':' && text[open - 2] === ')'
          ? open - 2
          : prev;
    if (close >= 0) return parenHead(close, container);
    if (isClassHead(brace)) return 'class';
    return OBJECT_STARTS.has(text[prev]) || kindIn(prev, 'hm') ? 'object' : 'block';
  };

  /** The body ends at a `,` `;` or closer of its own level, or where a new statement starts. */
  const arrowBodyEnd = (arrow: number): number => {
    let k = arrow + 1;
    while (k < text.length) {
      const asi = source.newline[k] && !startsExpression(k - 1) && kind[k] === 'w';
      if (asi && !CONTINUATION_WORDS.has(text[k])) return k;
      if (kindIn(k, 'cmt') || text[k] === ',' || text[k] === ';') return k;
      const nested = arrowEnds.get(k);
      if (nested !== undefined) return nested;
      if (!kindIn(k, 'ohm')) {
        k++;
        continue;
      }
      let close = pair(k);
      while (kind[close] === 'm') close = pair(close);
      k = close + 1;
    }
    return text.length;
  };

  // Where each expression-bodied arrow's body ends (the index of the token after it), computed
  // last to first so that a chain `a => b => c` is scanned once.
  const arrowEnds = new Map<number, number>();
  for (let k = text.length - 1; k >= 0; k--) {
    if (text[k] === '=>' && text[k + 1] !== '{') arrowEnds.set(k, arrowBodyEnd(k));
  }

  // Function bodies, expression-bodied arrows, parameter lists and class bodies by start token.
  const scopes = new Map<number, Scope>();
  /** What each `{` opens; any other bracket, and the top level, is a block. */
  const containers: Container[] = [];
  const addFunction = (begin: number, end: number, head: FunctionHead | undefined): void => {
    const typeEnd = text[begin - 1] === '=>' ? begin - 1 : begin;
    scopes.set(begin, { end, head, typeEnd });
    // An `await` in the parameter list: no function around it that can be made async.
    if (head && head.params >= 0) scopes.set(head.params, { end: pair(head.params) });
  };
  for (let k = 0; k < text.length; k++) {
    const container = containers[parent[k] ?? -1] ?? 'block';
    const arrowEnd = arrowEnds.get(k);
    if (arrowEnd !== undefined) {
      if (!isDeclaredType(k, container)) addFunction(k, arrowEnd, arrowHead(k));
    } else if (text[k] === '{') {
      const brace = classifyBrace(k, container);
      containers[k] = typeof brace === 'string' ? brace : 'function';
      if (typeof brace !== 'string') addFunction(k, pair(k), brace);
      else if (brace === 'class') scopes.set(k, { end: pair(k) });
    }
  }

  // Each `await` gets the innermost scope around it: a function, or a class body.
  const sites: AwaitSite[] = [];
  const open: Scope[] = [];
  const fixes = new Map<Scope | undefined, Insertion[] | undefined>();
  for (let k = 0; k < text.length; k++) {
    while ((open.at(-1)?.end ?? Number.POSITIVE_INFINITY) <= k) open.pop();
    // Not `x.await`, `{ await: 1 }`, `await = 1`.
    const next = text[k + 1];
    if (
      text[k] === 'await' &&
      text[k - 1] !== '.' &&
      next !== ':' &&
      !(next === '=' && text[k + 2] !== '=')
    ) {
      const scope = open.at(-1);
      const head = scope?.head;
      if (!fixes.has(scope)) fixes.set(scope, head && asyncFix(head, scope?.typeEnd ?? -1));
      sites.push([lineAt(code, start[k] ?? 0), fixes.get(scope)]);
    }
    const scope = scopes.get(k);
    if (scope) open.push(scope);
  }
  return sites;
}
