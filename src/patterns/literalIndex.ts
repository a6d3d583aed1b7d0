/** A number for the three characters of `text` at `at` (exact for ASCII; any clash only costs time). */
const trigram = (text: string, at: number) =>
  (text.charCodeAt(at) << 16) ^ (text.charCodeAt(at + 1) << 8) ^ text.charCodeAt(at + 2);

/**
 * The candidate patterns of a text, found in one pass over it whatever the size of the
 * table: those whose prefilter literals occur in it, and those without literals.
 *
 * Each literal (lower-cased, at least three characters) is filed under one of its
 * trigrams, with that trigram's offset in it: the trigram that the fewest literals of the
 * table share, so that few literals wait behind each. A scan looks up every trigram of the
 * lower-cased text and checks, at that very position, whether a literal filed under it
 * starts there (`startsWith` at the position minus the offset): a pattern whose literal
 * occurs is always found (its trigram occurs there too), and the work is bounded by the
 * text's length times the few literals per trigram — never a search of the whole text per
 * occurrence, which repetitive text (an echoed input) would make quadratic. A
 * case-sensitive literal that occurs in another case makes a false candidate, which its
 * regex rejects.
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
  /** Under each trigram: the literals filed there, each with its pattern and the trigram's offset in it. */
  const filed = new Map<number, [literal: string, id: number, offset: number][]>();
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
  for (const [literal, id] of literals) {
    const trigrams = keys(literal);
    let offset = 0;
    trigrams.forEach((key, at) => {
      if ((shared.get(key) as number) < (shared.get(trigrams[offset] as number) as number)) {
        offset = at;
      }
    });
    const rarest = trigrams[offset] as number;
    const entry: [string, number, number] = [literal, id, offset];
    filed.get(rarest)?.push(entry) ?? filed.set(rarest, [entry]);
  }
  const seen = new Uint8Array(entries.length);
  const found: number[] = [];
  return (text) => {
    const lower = text.toLowerCase();
    found.length = 0;
    for (const id of always) found.push(id);
    for (let at = 0; at + 2 < lower.length; at++) {
      for (const [literal, id, offset] of filed.get(trigram(lower, at)) ?? NONE) {
        if (!seen[id] && at >= offset && lower.startsWith(literal, at - offset)) {
          seen[id] = 1;
          found.push(id);
        }
      }
    }
    for (const id of found) seen[id] = 0;
    return found.sort((a, b) => a - b);
  };
}

const NONE: readonly [string, number, number][] = Object.freeze([]);
