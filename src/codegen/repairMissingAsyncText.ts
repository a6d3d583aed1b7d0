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

/** The 1-based line of offset `at`. */
export function lineAt(code: string, at: number): number {
  return code.slice(0, at).split('\n').length;
}

/** A set of words written as one space-separated string. */
export function words(list: string): ReadonlySet<string | undefined> {
  return new Set(list.split(' '));
}
