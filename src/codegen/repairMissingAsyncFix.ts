/**
 * What making a JavaScript or TypeScript function async takes: `async ` in front of it, and a
 * return type `T` that becomes `Promise<T>` — or a refusal, where `async` would change what the
 * code means or what it declares and the right change is not certain.
 *
 * @module
 */
import { type Insertion, words } from './repairMissingAsyncText.js';
import { DECLARATION_WORDS, EXPRESSION_WORDS, type Source } from './repairMissingAsyncTokens.js';

/** Where a function starts, and where its parameters are. */
export interface FunctionHead {
  /** Token index in front of which `async ` goes. */
  first: number;
  /** Token index of the parameter list's `(`, or -1 for a bare `x =>`. */
  params: number;
}

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

/**
 * For the code read as `source`: the insertions that make the function at `head` async (none
 * when it is async already), or `undefined` when that is not certain. `typeEnd` is the token
 * after its return type: the `{` of its body, or its `=>`.
 */
export function asyncFixer(
  source: Source,
): (head: FunctionHead, typeEnd: number) => Insertion[] | undefined {
  const { text, kind, start, parent, kindIn, pair, startsExpression, startsMember } = source;

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
      if (t === '(' || t === '[') k = pair(k);
      else if (
        !(kind[k] === 'w'
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
      startsExpression(opener - 1) &&
      !/^[.>!]$/.test(text[opener - 1] ?? '')
    ) {
      opener = parent[opener] ?? -1;
    }
    if (text[opener] !== '(') return false;
    // The name called: `xs.map(`, `xs.map?.(`, `xs.map<T>(`.
    let callee = opener - 1;
    if (text[callee] === '.' && text[callee - 1] === '?') callee -= 2;
    callee = source.typeParamsStart(callee + 1) - 1;
    return ARRAY_METHODS.has(text[callee]) && !isPromiseCombinatorInput(callee, opener);
  };

  // ---------------------------------------------------------------- overloads

  /** An implementation with overload signatures, which would all have to change too. */
  const hasOverloads = ({ first, params }: FunctionHead): boolean => {
    const isFunction = text[first] === 'function';
    let at = isFunction ? first + 1 : first;
    if (text[at] === '*') at++;
    const name = text[at];
    if (kind[at] !== 'w') return false;
    if (isFunction) {
      return text.some(
        (t, k) =>
          k !== at &&
          t === name &&
          (text[k - 1] === 'function' || (text[k - 1] === '*' && text[k - 2] === 'function')),
      );
    }
    // A method: another member of the same name in the same class body.
    const body = parent[at] ?? -1;
    return (
      params >= 0 &&
      text[body] === '{' &&
      text.some(
        (t, k) =>
          k !== at &&
          parent[k] === body &&
          t === name &&
          /^[(<?]$/.test(text[k + 1] ?? '') &&
          startsMember(text[k - 1] === '*' ? k - 2 : k - 1),
      )
    );
  };

  // ---------------------------------------------------------------- return types

  /** Index of the `>` that closes the `<` at `open`, before `end`, or -1. */
  const closingAngle = (open: number, end: number): number => {
    let depth = 0;
    for (let k = open; k < end; k++) {
      if (text[k] === '<') depth++;
      else if (text[k] === '>' && --depth === 0) return k;
    }
    return -1;
  };

  /**
   * The type written by tokens `from` to `to` (exclusive), as the return type of an async function:
   * `T` becomes `Promise<T>`; `Promise<T>` stays; a generator's `Generator<…>`, `Iterable<…>`,
   * `Iterator<…>` and `IterableIterator<…>` become their `Async…` counterparts. A type predicate,
   * an assertion, a type mixing promises and anything else is not certain: `undefined`.
   */
  const typeFix = (from: number, to: number, generator: boolean): Insertion[] | undefined => {
    const last = to - 1;
    if (from >= to) return undefined;
    // A type ends with a name, a value or a bracket, never with an operator (`User |`).
    if (kind[last] === 'o' || (kind[last] === 'p' && text[last] !== '>')) return undefined;
    // The name of a type written `Name` or `Name<…>`, and nothing else.
    const isReference =
      kind[from] === 'w' &&
      (to === from + 1 || (text[from + 1] === '<' && closingAngle(from + 1, to) === last));
    const name = isReference ? text[from] : undefined;
    const at = start[from] ?? 0;
    if (generator) return ITERATOR_TYPES.has(name) ? [[at, 'Async']] : undefined;
    if (name === 'Promise') return [];
    for (let k = from; k < to; k++) {
      if (UNSURE_TYPE_WORDS.has(text[k])) return undefined;
      // A word right after another, neither of them a type operator: not one type (`User\nrest
      // = …` is a type, then a statement of its own).
      const stray =
        k > from &&
        kind[k - 1] === 'w' &&
        kind[k] === 'w' &&
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
      source.scanBack(equals - 1, (k) => {
        if (text[k] === ':') return k;
        const stops = /^[;,=]$/.test(text[k] ?? '') || DECLARATION_WORDS.has(text[k]);
        return stops || kindIn(k, 'ohm') ? -1 : undefined;
      }) ?? -1;
    if (colon < 0 || !text.slice(colon + 1, equals).includes('=>')) return [];
    // Only `name: (…) => R = …` (or `<T>(…) => R`), declared by a variable or a class field.
    const isDeclared =
      kind[colon - 1] === 'w' &&
      (DECLARATION_WORDS.has(text[colon - 2]) || startsMember(colon - 2));
    let open = colon + 1;
    if (text[open] === '<') open = closingAngle(open, equals) + 1;
    const close = open > colon && text[open] === '(' ? pair(open) : -1;
    if (!isDeclared || close < 0 || text[close + 1] !== '=>') return undefined;
    return typeFix(close + 2, equals, generator);
  };

  return (head, typeEnd) => {
    const { first, params } = head;
    if (source.isAsyncBefore(first)) return [];
    if (isArrayCallback(first) || hasOverloads(head)) return undefined;
    // `function* g()`, `*g()`: a `*` between the start of the head and its parameters.
    const generator = params >= 0 && text.slice(first, params).includes('*');
    // `(…): T {` or `(…): T =>`: `T` becomes `Promise<T>`.
    const close = params < 0 ? -2 : pair(params);
    const returnType = text[close + 1] === ':' ? typeFix(close + 2, typeEnd, generator) : [];
    const declaredType = declaredTypeFix(first, generator);
    if (!returnType || !declaredType) return undefined;
    return [[start[first] ?? 0, 'async '], ...returnType, ...declaredType];
  };
}
