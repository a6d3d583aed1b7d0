/**
 * What making a JavaScript or TypeScript function async takes: `async ` in front of it, and a
 * return type `T` that becomes `Promise<T>` — or a refusal, where `async` would change what the
 * code means or what it declares and the right change is not certain.
 *
 * @module
 */
import type { Insertion } from './repairMissingAsyncText.js';
import {
  DECLARATION_WORDS,
  EXPRESSION_WORDS,
  isOpener,
  isPunct,
  isWord,
  openingAngle,
  type Source,
  scanBack,
  startsExpression,
  startsMember,
  type Token,
  tokenEnd,
} from './repairMissingAsyncTokens.js';

/** Where a function starts, whether it is async already, and where its parameters are. */
export interface FunctionHead {
  /** Token index in front of which `async ` goes. */
  first: number;
  isAsync: boolean;
  /** Token index of the parameter list's `(`, or -1 for a bare `x =>`. */
  params: number;
}

/**
 * Array methods that call a callback and use what it returns, or call it without waiting: an
 * async callback there is an array of promises, a promise taken as `true`, or a fire-and-forget
 * (`items.forEach(async (item) => …)`). RxJS operators and lodash functions of these names
 * behave the same way.
 */
const ARRAY_METHODS = new Set(
  'every filter find findIndex findLast findLastIndex flatMap forEach map reduce reduceRight some sort toSorted'.split(
    ' ',
  ),
);
const PROMISE_COMBINATORS = new Set(['all', 'allSettled', 'any', 'race']);
/** Return types of a generator that have an async counterpart named `Async…`. */
const ITERATOR_TYPES = new Set(['Generator', 'Iterable', 'IterableIterator', 'Iterator']);
/** Words that make a return type something `Promise<…>` around it would not fix. */
const UNSURE_TYPE_WORDS = new Set(['asserts', 'is', 'Promise', 'PromiseLike']);

/**
 * The insertions that make the function at `head` async (none when it is async already), or
 * `undefined` when that is not certain. `typeEnd` is the token after its return type: the `{`
 * of its body, or its `=>`.
 */
export function asyncFix(
  source: Source,
  head: FunctionHead,
  typeEnd: number,
): Insertion[] | undefined {
  if (head.isAsync) return [];
  const first = source.tokens[head.first];
  if (!first || isArrayCallback(source, head.first) || hasOverloads(source, head)) {
    return undefined;
  }
  const generator = isGenerator(source.tokens, head);
  const returnType = returnTypeFix(source, head, typeEnd, generator);
  const declaredType = declaredTypeFix(source, head, generator);
  if (!returnType || !declaredType) return undefined;
  return [{ at: first.start, text: 'async ' }, ...returnType, ...declaredType];
}

/** `function* g()`, `*g()`: a `*` between the start of the head and its parameters. */
function isGenerator(tokens: Token[], head: FunctionHead): boolean {
  for (let k = head.first; k < head.params; k++) if (isPunct(tokens[k], '*')) return true;
  return false;
}

// ---------------------------------------------------------------- array-method callbacks

/** Whether the function starting at token `first` is handed to an array method. */
function isArrayCallback(source: Source, first: number): boolean {
  const { tokens, parent } = source;
  let opener = parent[first] ?? -1;
  // Parentheses around the function, or around an expression holding it, hide no call.
  while (isGrouping(tokens, opener)) opener = parent[opener] ?? -1;
  if (!isPunct(tokens[opener], '(')) return false;
  const callee = calleeOf(tokens, opener);
  if (!ARRAY_METHODS.has(tokens[callee]?.text ?? '')) return false;
  return !isPromiseCombinatorInput(source, callee, opener);
}

/** A `(` that groups an expression, not one that calls (`f(`, `f?.(`, `f<T>(`, `f!(`). */
function isGrouping(tokens: Token[], opener: number): boolean {
  const prev = tokens[opener - 1];
  const calls = ['.', '>', '!'].some((text) => isPunct(prev, text));
  return isPunct(tokens[opener], '(') && startsExpression(prev) && !calls;
}

/** The index of the name called with the arguments opened at `opener`, or -1. */
function calleeOf(tokens: Token[], opener: number): number {
  let k = opener - 1;
  if (isPunct(tokens[k], '.') && isPunct(tokens[k - 1], '?')) k -= 2; // `xs.map?.(…)`
  if (isPunct(tokens[k], '>')) k = openingAngle(tokens, k) - 1; // `xs.map<T>(…)`
  return tokens[k]?.type === 'word' ? k : -1;
}

/**
 * `Promise.all(ids.map((id) => …))`: the array of promises an async callback makes is what
 * `Promise.all` (`allSettled`, `any`, `race`) asks for, so there `async` is the repair.
 */
function isPromiseCombinatorInput(source: Source, callee: number, opener: number): boolean {
  const { tokens, match, parent } = source;
  const outer = parent[callee] ?? -1;
  const name = outer - 1;
  const isCombinatorCall =
    isWord(tokens[callee], 'map') &&
    isPunct(tokens[callee - 1], '.') &&
    isPunct(tokens[outer], '(') &&
    match[outer] === (match[opener] ?? -2) + 1 &&
    PROMISE_COMBINATORS.has(tokens[name]?.text ?? '') &&
    isPunct(tokens[name - 1], '.') &&
    isWord(tokens[name - 2], 'Promise') &&
    !isPunct(tokens[name - 3], '.');
  if (!isCombinatorCall) return false;
  // The receiver of `.map` is a chain of names, calls, indexes and property reads.
  for (let k = outer + 1; k < callee - 1; k++) {
    const token = tokens[k] as Token;
    if (isPunct(token, '(') || isPunct(token, '[')) k = match[k] ?? k;
    else if (!isChainToken(tokens, k, k === outer + 1)) return false;
  }
  return true;
}

function isChainToken(tokens: Token[], k: number, isFirst: boolean): boolean {
  const token = tokens[k] as Token;
  if (token.type === 'word') return !EXPRESSION_WORDS.has(token.text);
  if (token.type === 'value') return true;
  if (isPunct(token, '.')) return true;
  if (isPunct(token, '?')) return isPunct(tokens[k + 1], '.');
  return isPunct(token, '!') && !isFirst;
}

// ---------------------------------------------------------------- overloads

/** An implementation with overload signatures, which would all have to change too. */
function hasOverloads({ tokens, parent }: Source, head: FunctionHead): boolean {
  const first = tokens[head.first];
  if (isWord(first, 'function')) {
    const at = isPunct(tokens[head.first + 1], '*') ? head.first + 2 : head.first + 1;
    const name = tokens[at];
    if (name?.type !== 'word') return false;
    return tokens.some(
      (token, k) =>
        k !== at &&
        isWord(token, name.text) &&
        (isWord(tokens[k - 1], 'function') ||
          (isPunct(tokens[k - 1], '*') && isWord(tokens[k - 2], 'function'))),
    );
  }
  // A method: another member of the same name in the same class body.
  const at = isPunct(first, '*') ? head.first + 1 : head.first;
  const name = tokens[at];
  const body = parent[at] ?? -1;
  if (name?.type !== 'word' || head.params < 0 || !isPunct(tokens[body], '{')) return false;
  return tokens.some(
    (token, k) =>
      k !== at &&
      parent[k] === body &&
      isWord(token, name.text) &&
      ['(', '<', '?'].some((text) => isPunct(tokens[k + 1], text)) &&
      startsMember(tokens, isPunct(tokens[k - 1], '*') ? k - 2 : k - 1),
  );
}

// ---------------------------------------------------------------- return types

/** `(…): T {` or `(…): T =>`: `T` becomes `Promise<T>`. */
function returnTypeFix(
  { tokens, match }: Source,
  head: FunctionHead,
  typeEnd: number,
  generator: boolean,
): Insertion[] | undefined {
  const close = head.params < 0 ? -1 : (match[head.params] ?? -1);
  if (close < 0 || !isPunct(tokens[close + 1], ':')) return [];
  return typeFix(tokens, close + 2, typeEnd, generator);
}

/**
 * `const f: (x: X) => T = (x) => …`: the declared function type's return type changes like the
 * function's own. A declared type that is not written as a function type is left as it is.
 */
function declaredTypeFix(
  { tokens, match }: Source,
  head: FunctionHead,
  generator: boolean,
): Insertion[] | undefined {
  const equals = head.first - 1;
  if (!isPunct(tokens[equals], '=')) return [];
  const colon = scanBack(tokens, equals - 1, (token, k) => {
    if (isPunct(token, ':')) return k;
    const stops = [';', ',', '='].some((text) => isPunct(token, text));
    const declares = token.type === 'word' && DECLARATION_WORDS.has(token.text);
    return stops || declares || isOpener(token) ? -1 : undefined;
  });
  if (colon === undefined || colon < 0) return [];
  const hasArrow = tokens.slice(colon + 1, equals).some((token) => isPunct(token, '=>'));
  if (!hasArrow) return [];
  // Only `name: (…) => R = …` (or `<T>(…) => R`), declared by a variable or a class field.
  const isDeclared =
    tokens[colon - 1]?.type === 'word' &&
    (DECLARATION_WORDS.has(tokens[colon - 2]?.text ?? '') || startsMember(tokens, colon - 2));
  let open = colon + 1;
  if (isPunct(tokens[open], '<')) open = closingAngle(tokens, open, equals) + 1;
  const close = open > colon && isPunct(tokens[open], '(') ? (match[open] ?? -1) : -1;
  if (!isDeclared || close < 0 || !isPunct(tokens[close + 1], '=>')) return undefined;
  return typeFix(tokens, close + 2, equals, generator);
}

/** Index of the `>` that closes the `<` at `open`, before `end`, or -1. */
function closingAngle(tokens: Token[], open: number, end: number): number {
  let depth = 0;
  for (let k = open; k < end; k++) {
    if (isPunct(tokens[k], '<')) depth++;
    else if (isPunct(tokens[k], '>') && --depth === 0) return k;
  }
  return -1;
}

/**
 * The type written by tokens `from` to `to` (exclusive), as the return type of an async function:
 * `T` becomes `Promise<T>`; `Promise<T>` stays; a generator's `Generator<…>`, `Iterable<…>`,
 * `Iterator<…>` and `IterableIterator<…>` become their `Async…` counterparts. A type predicate,
 * an assertion, a type mixing promises and anything else is not certain: `undefined`.
 */
function typeFix(
  tokens: Token[],
  from: number,
  to: number,
  generator: boolean,
): Insertion[] | undefined {
  const first = tokens[from];
  const last = tokens[to - 1];
  if (!first || !last || from >= to) return undefined;
  // A type ends with a name, a value or a bracket, never with an operator (`User |`).
  if (last.type === 'punct' && ![')', ']', '}', '>'].includes(last.text)) return undefined;
  const name = referenceName(tokens, from, to);
  if (generator) {
    return name !== undefined && ITERATOR_TYPES.has(name)
      ? [{ at: first.start, text: 'Async' }]
      : undefined;
  }
  if (name === 'Promise') return [];
  for (let k = from; k < to; k++) {
    const token = tokens[k] as Token;
    if (token.type === 'word' && UNSURE_TYPE_WORDS.has(token.text)) return undefined;
    if (k > from && isStrayWord(tokens, k)) return undefined;
  }
  return [
    { at: first.start, text: 'Promise<' },
    { at: tokenEnd(last), text: '>' },
  ];
}

/** Type operators that stand next to another word: `keyof T`, `K in Keys`, `T extends U`. */
const TYPE_OPERATORS = new Set(
  'abstract as asserts extends in infer is keyof new readonly typeof unique'.split(' '),
);

/**
 * A word right after another, neither of them a type operator: not one type (`User\nrest = …`
 * is a type, then a statement of its own).
 */
function isStrayWord(tokens: Token[], k: number): boolean {
  const [before, word] = [tokens[k - 1], tokens[k]];
  if (before?.type !== 'word' || word?.type !== 'word') return false;
  return !TYPE_OPERATORS.has(before.text) && !TYPE_OPERATORS.has(word.text);
}

/** The name of a type written `Name` or `Name<…>`, and nothing else; otherwise `undefined`. */
function referenceName(tokens: Token[], from: number, to: number): string | undefined {
  const name = tokens[from];
  if (name?.type !== 'word') return undefined;
  if (to === from + 1) return name.text;
  if (!isPunct(tokens[from + 1], '<')) return undefined;
  return closingAngle(tokens, from + 1, to) === to - 1 ? name.text : undefined;
}
