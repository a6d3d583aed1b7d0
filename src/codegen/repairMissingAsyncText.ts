/**
 * What the scanners of `repairMissingAsync` share: the answer they give for each `await`,
 * and small readers of source text.
 *
 * @module
 */

/** Text inserted into the code at offset `at`. Every repair is made of insertions only. */
export interface Insertion {
  at: number;
  text: string;
}

/**
 * One `await`, and what makes the function around it async: the insertions (none when it is
 * async already), or `undefined` when that is not certain.
 */
export interface AwaitSite {
  line: number;
  fix: readonly Insertion[] | undefined;
}

export const WORD_CHAR = /[\w$\u0080-\uffff]/;

export function countNewlines(code: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (code.charCodeAt(i) === 10) count++;
  return count;
}

export function lineEnd(code: string, from: number): number {
  const end = code.indexOf('\n', from);
  return end < 0 ? code.length : end;
}

export function wordEnd(code: string, from: number): number {
  let end = from;
  while (end < code.length && WORD_CHAR.test(code.charAt(end))) end++;
  return end;
}

/** End (exclusive) of a quoted string that may not span lines, or -1. */
export function quotedEnd(code: string, from: number, quote: string): number {
  for (let i = from + 1; i < code.length; i++) {
    const c = code.charAt(i);
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (c === '\n') return -1;
  }
  return -1;
}
