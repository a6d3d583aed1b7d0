/**
 * The JavaScript and TypeScript half of `repairMissingAsync`: every `{` and `=>` is classified by
 * looking back at its head, and each `await` is given the innermost function scope around it.
 * Then what making that function async takes: `async ` in front of it, and a return type `T` that
 * becomes `Promise<T>` — or a refusal, where `async` would change what the code means or what it
 * declares and the right change is not certain.
 *
 * @module
 */
import { type AwaitSite, type Insertion, lineCounter, words } from './repairMissingAsyncText.js';
import { EXPRESSION_WORDS, readSource, startsExpression } from './repairMissingAsyncTokens.js';
import { typeReader } from './repairMissingAsyncTypes.js';

/**
 * Where a function starts (the token in front of which `async ` goes), where its parameters are
 * (the `(`, or -1 for a bare `x =>`), and the token after its return type (its `{` or `=>`).
 */
type FunctionHead = [first: number, params: number, typeEnd?: number];

/**
 * A scope that ends at token `end` (exclusive): a function, with no `head` when it cannot be
 * repaired, or a class body (no function, no `head`).
 */
type Scope = [end: number, head?: FunctionHead | undefined];

/**
 * What a `{` opens: a function (its head, `undefined` when it cannot be repaired), or a block
 * of one of these kinds.
 */
type Brace = FunctionHead | undefined | Container;
type Container = 'class' | 'object' | 'block' | 'function';

const DECLARATION_WORDS = words('const let var');
const MODIFIERS = words(
  'static public private protected override readonly abstract declare accessor',
);
/** What may stand before a `{` that opens an object literal. */
const OBJECT_STARTS = words(
  'return yield await typeof void in of throw = ( [ , : ? | & ! + - * % < > ~ ^ .',
);
/** What may stand before an arrow function: where an assignment expression may start. */
const ARROW_STARTS = words('= ( [ , ? : { } ; => return yield default else do');
const CONTROL_WORDS = words('if for while switch catch with');
const CONTINUATION_WORDS = words('in instanceof as satisfies');
/**
 * Array methods that call a callback and use what it returns, or call it without waiting: an
 * async callback there is an array of promises, a promise taken as `true`, or a fire-and-forget
 * (`items.forEach(async (item) => …)`). RxJS operators and lodash functions of these names
 * behave the same way.
 */
const ARRAY_METHODS = words(
  'every filter find findIndex findLast findLastIndex flatMap forEach map reduce reduceRight some sort toSorted',
);
const PROMISE_COMBINATORS = words('all allSettled any race');
/** Return types of a generator that have an async counterpart named `Async…`. */
const ITERATOR_TYPES = words('Generator Iterable IterableIterator Iterator');
/** Words that make a return type something `Promise<…>` around it would not fix. */
const UNSURE_TYPE_WORDS = words('asserts is Promise PromiseLike');
/** Type operators that stand next to another word: `keyof T`, `K in Keys`, `T extends U`. */
const TYPE_OPERATORS = words(
  'abstract as asserts extends in infer is keyof new readonly typeof unique',
);
const SCAN_LIMIT = 256;

/** A bare arrow parameter is an identifier (not `#private`). */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** Every `await` in JavaScript or TypeScript code, or `undefined` when it cannot be read. */
export function javascriptAwaits(code: string): AwaitSite[] | undefined {
  const source = readSource(code);
  if (!source) return undefined;
  const [text, kind, start, newline, match, parent] = source;

  // ---------------------------------------------------------------- readers

  const isWord = (k: number): boolean => kind[k] === 'w';
  /** Whether token `k` exists and is of one of these kinds. */
  const kindIn = (k: number, kinds: string): boolean => kinds.includes(kind[k] ?? '-');
  /** Whether token `k` is one of these one-character punctuators. */
  const punctIn = (k: number, chars: string): boolean =>
    text[k]?.length === 1 && chars.includes(text[k]);
  const pair = (k: number): number => match[k] ?? -1;
  const isAsyncBefore = (k: number): boolean => text[k - 1] === 'async' && !newline[k];

  /** Whether a class or object member may start after token `k`, once modifiers are skipped. */
  const startsMember = (k: number): boolean => {
    let j = k;
    while (isWord(j) && MODIFIERS.has(text[j])) j--;
    return punctIn(j, '{};,)') || (isWord(j) && text[j - 1] === '@');
  };

  /**
   * Walks back from `from` over at most {@link SCAN_LIMIT} tokens, skipping bracketed groups
   * (`<…>` included), and returns the first answer `visit` gives for a token outside them.
   */
  const scanBack = <T>(from: number, visit: (k: number) => T | undefined): T | undefined => {
    const pending: number[] = [];
    for (let k = from; k >= 0 && k > from - SCAN_LIMIT; k--) {
      const answer = pending.length === 0 ? visit(k) : undefined;
      if (answer !== undefined) return answer;
      // A closer (`>` included) is pushed, and its opener must come back first. (Only a
      // one-character token is found in that string: no longer one is a part of it.)
      const bracket = '([{<)]}>'.indexOf(text[k] ?? '-');
      if (bracket > 3) pending.push(bracket - 4);
      else if (bracket >= 0 && pending.pop() !== bracket) return undefined;
    }
    return undefined;
  };

  /** Index of the `<` that opens the type parameters closed by the `>` at `close`, or -1. */
  const openingAngle = (close: number): number =>
    scanBack(close - 1, (k) => (text[k] === '<' ? k : punctIn(k, ';{') ? -1 : undefined)) ?? -1;

  /** For the `(` at `open`: the `<` of the type parameters right before it, or `open` itself. */
  const typeParamsStart = (open: number): number =>
    text[open - 1] === '>' ? openingAngle(open - 1) : open;

  /** Index of the `>` that closes the `<` at `open`, before `end`, or -1. */
  const closingAngle = (open: number, end: number): number => {
    let depth = 0;
    for (let k = open; k < end; k++) {
      if (text[k] === '<') depth++;
      else if (text[k] === '>' && --depth === 0) return k;
    }
    return -1;
  };

  // ---------------------------------------------------------------- function heads

  /** `class Name extends Base<T> implements I {`: the words before `{` include `class`. */
  const isClassHead = (prev: number): boolean =>
    scanBack(prev, (k) =>
      text[k] === 'class' ? true : isWord(k) || punctIn(k, '.,)]>') ? undefined : false,
    ) ?? false;

  /** After token `k`, may an arrow function start (not after an operator: `a | x => y`)? */
  const mayPrecedeArrow = (k: number): boolean =>
    k < 0 || ARROW_STARTS.has(text[k]) || kindIn(k, 'hm');

  const functionHead = (first: number, params: number): FunctionHead | undefined =>
    first < 0 ? undefined : [first, params];

  /** For `(…): Type` ending before `end`, the index of `)`; -1 when there is no such return type. */
  const returnTypeParen = (end: number): number =>
    returnTypes.get(end) ??
    scanBack(end - 1, (k) => {
      if (text[k] === ':') return k < end - 1 && text[k - 1] === ')' ? k - 1 : -1;
      if (!(kind[k] === 'c' || text[k] === '>')) {
        return kindIn(k, 'wv') || punctIn(k, '.|&?') ? undefined : -1;
      }
      // A group followed by a word or a `{` or `(` ends something else, such as a block.
      const next = k + 1 < end ? k + 1 : -1;
      return isWord(next) || punctIn(next, '{(') ? -1 : undefined;
    }) ??
    -1;

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
    const open = pair(returnTypeParen(arrow));
    // `a ? (b) : c => d` is ambiguous
    if (open >= 0) return text[open - 1] === '?' ? undefined : parenArrowHead(open);
    const at = arrow - 1;
    if (text[at] === ')') return parenArrowHead(pair(at));
    if (!isWord(at) || text[at - 1] === '.' || !IDENTIFIER.test(text[at] ?? '')) return;
    return isAsyncBefore(at) || mayPrecedeArrow(at - 1) ? functionHead(at, -1) : undefined;
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
    let q = isWord(p) && !isKeyword(p) ? p - 1 : p;
    if (text[q] === '*') q--;
    if (isKeyword(q)) return functionHead(q, open);
    if (isWord(p) && isControlHead(p, container)) return 'block';
    // A method named by a word, a string or number, `[computed]`, or `name?`.
    const name = kindIn(p, 'wv')
      ? p
      : text[p] === ']'
        ? pair(p)
        : text[p] === '?' && isWord(p - 1)
          ? p - 1
          : -1;
    return name < 0 ? undefined : methodHead(name, open, container);
  };

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
    if (isClassHead(prev)) return 'class';
    return OBJECT_STARTS.has(text[prev]) || kindIn(prev, 'hm') ? 'object' : 'block';
  };

  // ---------------------------------------------------------------- array-method callbacks

  /**
   * `Promise.all(ids.map((id) => …))`: the array of promises an async callback makes is what
   * `Promise.all` (`allSettled`, `any`, `race`) asks for, so there `async` is the repair.
   */
  const isPromiseCombinatorInput = (callee: number, opener: number): boolean => {
    const outer = parent[callee] ?? -1;
    const name = outer - 1;
    const isCombinatorCall =
      text[callee] === 'map' &&
      text[callee - 1] === '.' &&
      text[outer] === '(' &&
      pair(outer) === pair(opener) + 1 &&
      PROMISE_COMBINATORS.has(text[name]) &&
      text[name - 1] === '.' &&
      text[name - 2] === 'Promise' &&
      text[name - 3] !== '.';
    if (!isCombinatorCall) return false;
    // The receiver of `.map` is a chain of names, calls, indexes and property reads.
    for (let k = outer + 1; k < callee - 1; k++) {
      const t = text[k];
      if (punctIn(k, '([')) k = pair(k);
      else if (
        !(isWord(k)
          ? !EXPRESSION_WORDS.has(t)
          : kind[k] === 'v' ||
            t === '.' ||
            (t === '?' ? text[k + 1] === '.' : t === '!' && k > outer + 1))
      ) {
        return false;
      }
    }
    return true;
  };

  /** Whether the function starting at token `first` is handed to an array method. */
  const isArrayCallback = (first: number): boolean => {
    let opener = parent[first] ?? -1;
    // Parentheses around the function, or around an expression holding it, hide no call (but
    // `f(`, `f?.(`, `f<T>(`, `f!(` call).
    while (
      text[opener] === '(' &&
      startsExpression(text, kind, opener - 1) &&
      !punctIn(opener - 1, '.>!')
    ) {
      opener = parent[opener] ?? -1;
    }
    if (text[opener] !== '(') return false;
    // The name called: `xs.map(`, `xs.map?.(`, `xs.map<T>(`.
    let callee = opener - 1;
    if (text[callee] === '.' && text[callee - 1] === '?') callee -= 2;
    callee = typeParamsStart(callee + 1) - 1;
    return ARRAY_METHODS.has(text[callee]) && !isPromiseCombinatorInput(callee, opener);
  };

  // ---------------------------------------------------------------- overloads

  /** An implementation with overload signatures, which would all have to change too. */
  const hasOverloads = (first: number, params: number): boolean => {
    const isFunction = text[first] === 'function';
    let at = isFunction ? first + 1 : first;
    if (text[at] === '*') at++;
    const name = text[at];
    // Another `function name` or `function* name`; for a method, another member of the same
    // name in the same class body.
    const body = parent[at] ?? -1;
    return (
      isWord(at) &&
      (isFunction || (params >= 0 && text[body] === '{')) &&
      text.some((t, k) =>
        k === at || t !== name
          ? false
          : isFunction
            ? text[k - 1] === 'function' || (text[k - 1] === '*' && text[k - 2] === 'function')
            : parent[k] === body &&
              punctIn(k + 1, '(<?') &&
              startsMember(text[k - 1] === '*' ? k - 2 : k - 1),
      )
    );
  };

  // ---------------------------------------------------------------- return types

  /**
   * The type written by tokens `from` to `to` (exclusive), as the return type of an async function:
   * `T` becomes `Promise<T>`; `Promise<T>` stays; a generator's `Generator<…>`, `Iterable<…>`,
   * `Iterator<…>` and `IterableIterator<…>` become their `Async…` counterparts. A type predicate,
   * an assertion, a type mixing promises and anything else, an unparenthesized function,
   * conditional or template literal type is not certain: `undefined`.
   */
  const typeFix = (from: number, to: number, generator: boolean): Insertion[] | undefined => {
    const last = to - 1;
    if (from >= to) return undefined;
    // A type ends with a name, a value or a bracket, never with an operator (`User |`).
    if (kind[last] === 'o' || (kind[last] === 'p' && text[last] !== '>')) return undefined;
    // The name of a type written `Name` or `Name<…>`, and nothing else.
    const isReference =
      isWord(from) &&
      (to === from + 1 || (text[from + 1] === '<' && closingAngle(from + 1, to) === last));
    const name = isReference ? text[from] : undefined;
    const at = start[from] ?? 0;
    if (generator) return ITERATOR_TYPES.has(name) ? [[at, 'Async']] : undefined;
    if (name === 'Promise') return [];
    // A function type, a conditional type or a template literal type, unparenthesized.
    let angles = 0;
    for (let k = from; k < to; k++) {
      if (kind[k] === 'o') k = pair(k);
      else if (text[k] === '<' || text[k] === '>') angles += text[k] === '<' ? 1 : -1;
      else if (angles === 0 && (kind[k] === 'h' || text[k] === '=>' || text[k] === '?')) return;
    }
    for (let k = from; k < to; k++) {
      if (UNSURE_TYPE_WORDS.has(text[k])) return undefined;
      // A word right after another, neither of them a type operator: not one type (`User\nrest
      // = …` is a type, then a statement of its own).
      const stray =
        k > from &&
        isWord(k - 1) &&
        isWord(k) &&
        !TYPE_OPERATORS.has(text[k - 1]) &&
        !TYPE_OPERATORS.has(text[k]);
      if (stray) return undefined;
    }
    return [
      [at, 'Promise<'],
      [(start[last] ?? 0) + (text[last] ?? '').length, '>'],
    ];
  };

  /**
   * `const f: (x: X) => T = (x) => …`: the declared function type's return type changes like the
   * function's own. A declared type that is not written as a function type is left as it is.
   */
  const declaredTypeFix = (first: number, generator: boolean): Insertion[] | undefined => {
    const equals = first - 1;
    if (text[equals] !== '=') return [];
    const colon =
      scanBack(equals - 1, (k) => {
        if (text[k] === ':') return k;
        const stops = punctIn(k, ';,=') || DECLARATION_WORDS.has(text[k]);
        return stops || kindIn(k, 'ohm') ? -1 : undefined;
      }) ?? -1;
    if (colon < 0 || !text.slice(colon + 1, equals).includes('=>')) return [];
    // Only `name: (…) => R = …` (or `<T>(…) => R`), declared by a variable or a class field.
    const isDeclared =
      isWord(colon - 1) && (DECLARATION_WORDS.has(text[colon - 2]) || startsMember(colon - 2));
    let open = colon + 1;
    if (text[open] === '<') open = closingAngle(open, equals) + 1;
    const close = open > colon && text[open] === '(' ? pair(open) : -1;
    if (!isDeclared || close < 0 || text[close + 1] !== '=>') return undefined;
    return typeFix(close + 2, equals, generator);
  };

  /**
   * The insertions that make the function at `head` async (none when it is async already), or
   * `undefined` when that is not certain.
   */
  const asyncFix = ([first, params, typeEnd = -1]: FunctionHead): Insertion[] | undefined => {
    if (isAsyncBefore(first)) return [];
    if (isArrayCallback(first) || hasOverloads(first, params)) return undefined;
    // `function* g()`, `*g()`: a `*` between the start of the head and its parameters.
    const generator = params >= 0 && text.slice(first, params).includes('*');
    // `(…): T {` or `(…): T =>`: `T` becomes `Promise<T>`.
    const close = params < 0 ? -2 : pair(params);
    const returnType = text[close + 1] === ':' ? typeFix(close + 2, typeEnd, generator) : [];
    const declaredType = declaredTypeFix(first, generator);
    if (!returnType || !declaredType) return undefined;
    return [[start[first] ?? 0, 'async '], ...returnType, ...declaredType];
  };

  // ---------------------------------------------------------------- types

  // Every type the code writes, found where one starts: after the `:` of a variable, a parameter,
  // a class field or a return type; in `<…>`; after `as` and `satisfies`; in `type` and
  // `interface` declarations. A `=>` in a type is a function type, no function; a `{` in one is
  // an object type. Where a type must start and none can be read, nothing is certain.
  const types = typeReader(source);
  /** For a token in a type: the index of the token after that type; otherwise 0. */
  const typeEnd: number[] = [];
  const inType = (k: number): boolean => (typeEnd[k] ?? 0) > k;
  /** The `)` before a return type, by the token after that type: a body's `{`, or `=>`. */
  const returnTypes = new Map<number, number>();
  /** The openers (-1: the top level) whose current statement declares variables. */
  const declaring = new Set<number>();

  const isClassBody = (brace: number): boolean =>
    text[brace] === '{' && !punctIn(brace - 1, ')') && isClassHead(brace - 1);

  /** `function f(…)`, or a class member `m(…)`, whose parameters open at `open`: no body needed. */
  const isSignature = (open: number): boolean => {
    const p = typeParamsStart(open) - 1;
    let q = isWord(p) && text[p] !== 'function' ? p - 1 : p;
    if (text[q] === '*') q--;
    if (text[q] === 'function') return true;
    const name = text[p] === ']' ? pair(p) : text[p] === '?' ? p - 1 : p;
    const member = text[name - 1] === '*' ? name - 2 : name - 1;
    return isClassBody(parent[open] ?? -1) && kindIn(name, 'wvo') && startsMember(member);
  };

  /** Where the type after the `:` at `colon` ends; -2: none must; -1: one must and cannot. */
  const annotation = (colon: number): number => {
    const name = punctIn(colon - 1, '?!') ? colon - 2 : colon - 1;
    const first = punctIn(name, '}]') ? pair(name) : name;
    const level = parent[first] ?? -1;
    // A parameter (`(a: T`, `, ...rest: T`, `private x: T`), or a class's index signature.
    let before = first - 1;
    while (isWord(before) && MODIFIERS.has(text[before])) before--;
    if (text[before] === '.' && text[before - 1] === '.' && text[before - 2] === '.') before -= 3;
    const isParameter =
      (text[level] === '(' && punctIn(before, '(,')) ||
      (text[before] === '[' && before === level && isClassBody(parent[level] ?? -1));
    const isDeclarator =
      !kindIn(first, 'v') &&
      (DECLARATION_WORDS.has(text[first - 1]) || (text[first - 1] === ',' && declaring.has(level)));
    const isField = isClassBody(level) && kindIn(first, 'wvo') && startsMember(first - 1);
    if (isParameter || isDeclarator || isField) return types.type(colon + 1);
    if (text[colon - 1] !== ')') return -2;
    // A return type: before a body or `=>`, or ending a signature (`function f(): T;`).
    const end = types.returnType(colon + 1);
    if (end < 0) return -2;
    if (text[end] === '{' || text[end] === '=>') {
      returnTypes.set(end, colon - 1);
      return end;
    }
    const endsSignature = end >= text.length || punctIn(end, ';}') || newline[end];
    return endsSignature && isSignature(pair(colon - 1)) ? end : -2;
  };

  /**
   * Type arguments `f<T>(`, `new Map<K, V>(`, `Base<T> {`; type parameters `<T>(x: T) =>`: where
   * they end, or -2 (a comparison, or something else).
   */
  const angleEnd = (open: number): number => {
    const end = types.angle(open);
    if (end < 0) return -2;
    if (!isWord(open - 1) || EXPRESSION_WORDS.has(text[open - 1])) {
      return startsExpression(text, kind, open - 1) && text[end] === '(' ? end : -2;
    }
    // What may follow type arguments in an expression (as TypeScript reads them), or in a
    // class or interface head.
    const follows =
      end >= text.length ||
      newline[end] ||
      punctIn(end, '()],;:.?}') ||
      /^`/.test(kindIn(end, 'vh') ? (text[end] ?? '') : '') ||
      ((text[end] === '{' || /^(extends|implements)$/.test(text[end] ?? '')) &&
        scanBack(open - 1, (k) =>
          /^(class|interface|extends|implements)$/.test(text[k] ?? '')
            ? true
            : isWord(k) || punctIn(k, '.,')
              ? undefined
              : false,
        ));
    return follows ? end : -2;
  };

  /** `type Name<…> = T` and `interface Name<…> extends … { … }`, from the word at `k`. */
  const declarationEnd = (k: number): number => {
    const startsStatement =
      k === 0 ||
      newline[k] ||
      punctIn(k - 1, ';{}') ||
      /^(export|declare)$/.test(text[k - 1] ?? '');
    if (!startsStatement || !isWord(k + 1) || newline[k + 1]) return -2;
    let at = text[k + 2] === '<' ? types.angle(k + 2) : k + 2;
    if (text[k] === 'type') return text[at] === '=' ? types.type(at + 1) : -2;
    if (text[at] === 'extends') {
      do at = types.type(at + 1);
      while (text[at] === ',');
    }
    return text[at] === '{' ? pair(at) + 1 : -1;
  };

  for (let k = 0; k < text.length; k++) {
    const t = text[k];
    const level = parent[k] ?? -1;
    if (DECLARATION_WORDS.has(t) && (isWord(k + 1) || punctIn(k + 1, '{['))) declaring.add(level);
    else if (t === ';') declaring.delete(level);
    let end = -2;
    if (t === ':') end = annotation(k);
    else if (t === '<') end = angleEnd(k);
    else if ((t === 'as' || t === 'satisfies') && kindIn(k - 1, 'wvc') && !newline[k]) {
      // Not certain: `export { x as default }`.
      end = text[k + 1] === 'const' ? k + 2 : types.type(k + 1);
      if (end < 0) end = -2;
    } else if (t === 'type' || t === 'interface') end = declarationEnd(k);
    if (end === -1) return undefined;
    if (end < 0) continue;
    for (let j = t === '<' ? k : k + 1; j < end; j++) typeEnd[j] = end;
    k = end - 1;
  }

  // ---------------------------------------------------------------- scopes

  /**
   * The body ends at a `,` `;` or closer of its own level, at the `:` of a conditional around it
   * (`a ? (x) => x : y`), or where a new statement starts.
   */
  const arrowBodyEnd = (arrow: number): number => {
    let k = arrow + 1;
    // The conditionals the body opens (`?`, not `?.` or `??`), whose `:` are its own.
    let conditionals = 0;
    while (k < text.length) {
      const asi = newline[k] && !startsExpression(text, kind, k - 1) && isWord(k);
      if (asi && !CONTINUATION_WORDS.has(text[k])) return k;
      if (kindIn(k, 'cmt') || punctIn(k, ',;')) return k;
      if (text[k] === ':' && conditionals-- === 0) return k;
      if (text[k] === '?' && !punctIn(k + 1, '.?') && text[k - 1] !== '?') conditionals++;
      // A type is skipped whole: `x as Map<K, V>`, `f<A, B>(x)`.
      if (inType(k)) {
        k = typeEnd[k] ?? k + 1;
        continue;
      }
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
    if (text[k] === '=>' && text[k + 1] !== '{' && !inType(k)) arrowEnds.set(k, arrowBodyEnd(k));
  }

  // Function bodies, expression-bodied arrows, parameter lists and class bodies by start token.
  const scopes = new Map<number, Scope>();
  /** What each `{` opens; any other bracket, and the top level, is a block. */
  const containers: Container[] = [];
  const addFunction = (begin: number, end: number, head: FunctionHead | undefined): void => {
    // The return type ends at the `{` of the body, or at the `=>` before it.
    head?.push(text[begin - 1] === '=>' ? begin - 1 : begin);
    scopes.set(begin, [end, head]);
    // An `await` in the parameter list: no function around it that can be made async.
    if (head && head[1] >= 0) scopes.set(head[1], [pair(head[1])]);
  };
  for (let k = 0; k < text.length; k++) {
    if (inType(k)) continue;
    const container = containers[parent[k] ?? -1] ?? 'block';
    const arrowEnd = arrowEnds.get(k);
    if (arrowEnd !== undefined) {
      addFunction(k, arrowEnd, arrowHead(k));
    } else if (text[k] === '{') {
      const brace = classifyBrace(k, container);
      containers[k] = typeof brace === 'string' ? brace : 'function';
      if (typeof brace !== 'string') addFunction(k, pair(k), brace);
      else if (brace === 'class') scopes.set(k, [pair(k)]);
    }
  }

  // ---------------------------------------------------------------- awaits

  // Each `await` gets the innermost scope around it: a function, or a class body.
  const sites: AwaitSite[] = [];
  const lineAt = lineCounter(code);
  const open: Scope[] = [];
  const fixes = new Map<Scope | undefined, Insertion[] | undefined>();
  for (let k = 0; k < text.length; k++) {
    while ((open.at(-1)?.[0] ?? text.length) <= k) open.pop();
    // Not `x.await`, `{ await: 1 }`, `await = 1`.
    const next = text[k + 1];
    if (
      text[k] === 'await' &&
      text[k - 1] !== '.' &&
      next !== ':' &&
      !(next === '=' && text[k + 2] !== '=')
    ) {
      const scope = open.at(-1);
      const head = scope?.[1];
      if (!fixes.has(scope)) fixes.set(scope, head && asyncFix(head));
      // An `await` in what was read as a type: the reading is wrong somewhere.
      sites.push([lineAt(start[k] ?? 0), inType(k) ? undefined : fixes.get(scope)]);
    }
    const scope = scopes.get(k);
    if (scope) open.push(scope);
  }
  return sites;
}
