/**
 * What the scanners of `repairMissingAsync` share: the answer they give for each `await`.
 *
 * @module
 */

/** Text inserted into the code at offset `at`. Every repair is made of insertions only. */
export type Insertion = [at: number, text: string];

/**
 * One `await` (its 1-based line), and what makes the function around it async: the insertions
 * (none when it is async already), or `undefined` when that is not certain.
 */
export type AwaitSite = [line: number, fix: readonly Insertion[] | undefined];

/** The 1-based line of an offset in the code, for offsets asked in increasing order. */
export function lineCounter(code: string): (at: number) => number {
  let line = 1;
  let from = 0;
  return (at) => {
    for (; from < at; from++) if (code.charCodeAt(from) === 10) line++;
    return line;
  };
}

/** A set of words written as one space-separated string. */
export function words(list: string): ReadonlySet<string | undefined> {
  return new Set(list.split(' '));
}
