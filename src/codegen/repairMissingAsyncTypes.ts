/**
 * TypeScript types as `repairMissingAsync` reads them: where a type that starts at a token ends.
 * A function type (`(x: X) => T`) is no function, and nothing in a type is made async; the
 * JavaScript scanner asks here where the types it finds begin and end.
 *
 * @module
 */
import { words } from './repairMissingAsyncText.js';
import type { Source } from './repairMissingAsyncTokens.js';

/** Words that name no type: a type that meets one has ended, or was no type. */
const NOT_TYPES = words(
  'as async await break case catch class const continue debugger default delete do else enum export extends finally for function if implements in instanceof interface is let new package private protected public return satisfies static super switch throw try var while with yield',
);
/** Type operators written before a type: `keyof T`, `readonly T[]`, `unique symbol`. */
const PREFIXES = words('keyof readonly unique');

/**
 * Readers of the types in some code, each given the index of the token where a type would start
 * and returning the index of the token after it, or -1 when no type is written there.
 */
export interface TypeReader {
  /** A type: a function or constructor type, a union, an intersection, a conditional type. */
  type: (k: number) => number;
  /** A return type: also `x is T`, `asserts x`, `asserts x is T`. */
  returnType: (k: number) => number;
  /** Type arguments or type parameters `<…>` opened at `k` (`<T extends U = V, W>`). */
  angle: (k: number) => number;
}

/** The readers of the types in `source`; each answer is remembered, so reading is linear. */
export function typeReader([text, kind, , newline, match]: Source): TypeReader {
  const memo = new Map<number, number>();
  const isName = (k: number): boolean =>
    kind[k] === 'w' && !NOT_TYPES.has(text[k]) && !text[k]?.startsWith('#');
  /** The token after a bracket group opened at `k`: `(…)`, `[…]`, `{…}` or a template. */
  const after = (k: number): number => {
    let close = match[k] ?? -1;
    while (kind[close] === 'm') close = match[close] ?? -1;
    return close < 0 ? -1 : close + 1;
  };

  const angle = (k: number): number => {
    let at = k + 1;
    for (;;) {
      // `<in T>`, `<out T>`, `<const T>`: modifiers of a type parameter.
      while (/^(in|out|const)$/.test(text[at] ?? '') && isName(at + 1)) at++;
      at = type(at);
      if (at >= 0 && text[at] === 'extends') at = type(at + 1);
      if (at >= 0 && text[at] === '=') at = type(at + 1);
      if (at < 0) return -1;
      if (text[at] === '>') return at + 1;
      if (text[at] !== ',') return -1;
      at++;
      if (text[at] === '>') return at + 1;
    }
  };

  /** `A.B.C` and its type arguments, from the name at `k`. */
  const reference = (k: number): number => {
    let at = k + 1;
    while (text[at] === '.' && kind[at + 1] === 'w') at += 2;
    return text[at] === '<' && !newline[at] ? angle(at) : at;
  };

  /** A type without the operators around it: a name, a literal, a group. */
  const primary = (k: number): number => {
    const t = text[k] ?? '';
    if (t === '(') {
      const end = type(k + 1);
      return end >= 0 && end === match[k] ? end + 1 : -1;
    }
    if (t === '{' || t === '[' || kind[k] === 'h') return after(k);
    if (kind[k] === 'v') return t.startsWith('/') ? -1 : k + 1;
    if (t === '-' && kind[k + 1] === 'v' && /^\.?\d/.test(text[k + 1] ?? '')) return k + 2;
    if (t === 'typeof') {
      if (text[k + 1] === 'import') return primary(k + 1);
      return kind[k + 1] === 'w' && !text[k + 1]?.startsWith('#') ? reference(k + 1) : -1;
    }
    if (t === 'import' && text[k + 1] === '(') {
      const at = after(k + 1);
      return at < 0 ? -1 : text[at] === '.' ? reference(at + 1) : at;
    }
    return isName(k) ? reference(k) : -1;
  };

  /** A type with its prefixes (`keyof`, `infer U`) and its `[]` and `[K]` suffixes. */
  const operand = (k: number): number => {
    if (PREFIXES.has(text[k])) {
      const end = operand(k + 1);
      if (end >= 0) return end;
    }
    let at = text[k] === 'infer' && isName(k + 1) ? k + 2 : primary(k);
    while (at >= 0 && text[at] === '[' && !newline[at]) at = after(at);
    return at;
  };

  /** `A | B`, `A & B`, with a leading `|` or `&`. */
  const union = (k: number): number => {
    let at = text[k] === '|' || text[k] === '&' ? k + 1 : k;
    for (;;) {
      at = operand(at);
      if (at < 0 || (text[at] !== '|' && text[at] !== '&')) return at;
      at++;
    }
  };

  /** Whether a function or constructor type starts at `k`: `(…) =>`, `<T>(…) =>`, `new (…) =>`. */
  const isFunctionType = (k: number): boolean =>
    /^(<|new)$/.test(text[k] ?? '') ||
    (text[k] === 'abstract' && text[k + 1] === 'new') ||
    (text[k] === '(' && text[after(k)] === '=>');

  const functionType = (k: number): number => {
    let at = text[k] === 'abstract' ? k + 2 : text[k] === 'new' ? k + 1 : k;
    if (text[at] === '<') at = angle(at);
    if (at < 0 || text[at] !== '(') return -1;
    const arrow = after(at);
    return text[arrow] === '=>' ? returnType(arrow + 1) : -1;
  };

  const type = (k: number): number => {
    const known = memo.get(k);
    if (known !== undefined) return known;
    memo.set(k, -1);
    let end = isFunctionType(k) ? functionType(k) : union(k);
    // `C extends X ? A : B`; without the `?`, the `extends` belongs to a type parameter.
    if (end >= 0 && text[end] === 'extends' && !newline[end]) {
      const extended = union(end + 1);
      if (extended >= 0 && text[extended] === '?') {
        const yes = type(extended + 1);
        end = yes >= 0 && text[yes] === ':' ? type(yes + 1) : -1;
      }
    }
    memo.set(k, end);
    return end;
  };

  const returnType = (k: number): number => {
    const isSubject = (at: number): boolean => (isName(at) || text[at] === 'this') && !newline[at];
    if (text[k] === 'asserts' && isSubject(k + 1)) {
      return text[k + 2] === 'is' && !newline[k + 2] ? type(k + 3) : k + 2;
    }
    if (isSubject(k) && text[k + 1] === 'is' && !newline[k + 1]) return type(k + 2);
    return type(k);
  };

  return { type, returnType, angle };
}
