/** A number for the three characters of `text` at `at` (exact for ASCII; any clash only costs time). */
const trigram = (text: string, at: number) =>
  (text.charCodeAt(at) << 16) ^ (text.charCodeAt(at + 1) << 8) ^ text.charCodeAt(at + 2);

/**
 * The candidate patterns of a text, found in one pass over it whatever the size of the
 * table: those whose prefilter literals occur in it, and those without literals.
 *
 * Each literal (lower-cased, at least three characters) is filed under one of its
 * trigrams: the one that the fewest literals of the table share, so that few literals
 * wait behind each. A scan looks up every trigram of the lower-cased text and checks the
 * literals filed under it — each literal once per scan, however often its trigram occurs
 * (repetitive text, an echoed input, would otherwise search the whole text again at every
 * occurrence: quadratic). A pattern whose literal occurs is always found (its trigram
 * occurs too). A case-sensitive literal that occurs in another case makes a false
 * candidate, which its regex rejects.
 *
 * @param entries One per pattern, in table order: its literals (each of three characters
 * or more, as `literalPrefilter` gives them), or `null` for a pattern without (a
 * candidate for every text).
 * @returns The scan: the candidates of a text, ascending. The array is reused by the next
 * scan (scanning allocates nothing but the lower-cased text): read it before scanning again.
 */
export function literalIndex(
  entries: readonly (readonly string[] | null)[],
): (text: string) => readonly number[] {
  /** Under each trigram: the literals filed there, each with its pattern and its own number. */
  const filed = new Map<number, [literal: string, id: number, number: number][]>();
  const shared = new Map<number, number>();
  const keys = (text: string) =>
    Array.from({ length: text.length - 2 }, (_, at) => trigram(text, at));
  const always: number[] = [];
  const literals = entries.flatMap((entry, id) => {
    if (!entry) always.push(id);
    return entry?.map((literal): [string, number] => [literal.toLowerCase(), id]) ?? [];
  });
  for (const [literal] of literals)
    for (const key of keys(literal)) shared.set(key, (shared.get(key) ?? 0) + 1);
  literals.forEach(([literal, id], number) => {
    const rarest = keys(literal).reduce((a, b) =>
      (shared.get(b) as number) < (shared.get(a) as number) ? b : a,
    );
    const entry: [string, number, number] = [literal, id, number];
    filed.get(rarest)?.push(entry) ?? filed.set(rarest, [entry]);
  });
  const seen = new Uint8Array(entries.length);
  const checked = new Uint8Array(literals.length);
  const touched: number[] = [];
  const found: number[] = [];
  return (text) => {
    const lower = text.toLowerCase();
    found.length = 0;
    for (const id of always) found.push(id);
    for (let at = 0; at + 2 < lower.length; at++) {
      for (const [literal, id, number] of filed.get(trigram(lower, at)) ?? NONE) {
        if (seen[id] || checked[number]) continue;
        checked[number] = 1;
        touched.push(number);
        if (lower.includes(literal)) {
          seen[id] = 1;
          found.push(id);
        }
      }
    }
    for (const number of touched) checked[number] = 0;
    touched.length = 0;
    for (const id of found) seen[id] = 0;
    return found.sort((a, b) => a - b);
  };
}

const NONE: readonly [string, number, number][] = Object.freeze([]);
