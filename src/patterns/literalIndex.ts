/**
 * One pass over an error's text that finds every pattern whose prefilter literals occur
 * in it: an Aho–Corasick automaton over all the literals of a pattern table, so the cost
 * is linear in the text, not in the number of patterns.
 */
class Automaton {
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Pattern indexes whose literal ends at each node. */
  private readonly out: number[][] = [[]];
  /** The nearest node down the failure chain that has outputs, or -1. */
  private readonly outLink: number[] = [-1];

  add(literal: string, id: number): void {
    let node = 0;
    for (let i = 0; i < literal.length; i++) {
      const code = literal.charCodeAt(i);
      let child = this.next[node]?.get(code);
      if (child === undefined) {
        child = this.next.length;
        this.next.push(new Map());
        this.fail.push(0);
        this.out.push([]);
        this.outLink.push(-1);
        this.next[node]?.set(code, child);
      }
      node = child;
    }
    this.out[node]?.push(id);
  }

  /** Failure and output links, breadth first. Call once, after every `add`. */
  build(): void {
    const queue: number[] = [];
    for (const child of this.next[0]?.values() ?? []) queue.push(child);
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number;
      for (const [code, child] of this.next[node] ?? []) {
        queue.push(child);
        let fallback = this.fail[node] as number;
        while (fallback !== 0 && !this.next[fallback]?.has(code))
          fallback = this.fail[fallback] as number;
        const target = this.next[fallback]?.get(code);
        const failTo = target !== undefined && target !== child ? target : 0;
        this.fail[child] = failTo;
        this.outLink[child] =
          (this.out[failTo]?.length ?? 0) > 0 ? failTo : (this.outLink[failTo] as number);
      }
    }
  }

  /** Calls `found` with the index of every literal's pattern that occurs in `text`. */
  scan(text: string, found: (id: number) => void): void {
    const next = this.next as Map<number, number>[];
    const fail = this.fail;
    const out = this.out as number[][];
    const outLink = this.outLink;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let step = (next[node] as Map<number, number>).get(code);
      while (step === undefined && node !== 0) {
        node = fail[node] as number;
        step = (next[node] as Map<number, number>).get(code);
      }
      node = step ?? 0;
      for (let hit = node; hit > 0; hit = outLink[hit] as number) {
        const ids = out[hit] as number[];
        for (let k = 0; k < ids.length; k++) found(ids[k] as number);
      }
    }
  }
}

/** What a pattern contributes to the index: its literals, or nothing (always a candidate). */
export interface IndexedLiterals {
  readonly caseInsensitive: boolean;
  readonly literals: readonly string[];
}

/**
 * The candidate patterns of a text: those whose literals occur in it, and those without
 * literals. Every literal is indexed lower-cased and the text is scanned once, lower-cased:
 * a case-sensitive literal then also "occurs" in text that differs only in case — a false
 * candidate, which its regex rejects — and no true one is missed. Marks are stamped per
 * scan, so asking allocates nothing.
 */
export class LiteralIndex {
  private readonly automaton = new Automaton();
  private readonly indexed: boolean;
  /** Patterns without literals, ascending: candidates for every text. */
  private readonly unfiltered: readonly number[];
  private readonly marks: Uint32Array;
  private stamp = 0;
  /** The candidates of the last scan; reused, so scanning allocates nothing once warm. */
  private readonly found: number[] = [];
  private readonly merged: number[] = [];
  private readonly mark = (id: number) => {
    if (this.marks[id] === this.stamp) return;
    this.marks[id] = this.stamp;
    this.found.push(id);
  };

  /** @param entries One per pattern, in table order; `null` for a pattern without literals. */
  constructor(entries: readonly (IndexedLiterals | null)[]) {
    this.marks = new Uint32Array(entries.length);
    const unfiltered: number[] = [];
    let indexed = false;
    entries.forEach((entry, id) => {
      if (entry === null) {
        unfiltered.push(id);
        return;
      }
      for (const literal of entry.literals) this.automaton.add(literal.toLowerCase(), id);
      indexed = true;
    });
    this.automaton.build();
    this.indexed = indexed;
    this.unfiltered = unfiltered;
  }

  /**
   * The patterns that may match `text` (scanned lower-cased, once), in table order. The
   * array is reused by the next scan: read it before scanning again.
   */
  scan(text: string): readonly number[] {
    this.stamp = this.stamp === 0xffffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) this.marks.fill(0);
    const found = this.found;
    found.length = 0;
    if (this.indexed) this.automaton.scan(text.toLowerCase(), this.mark);
    if (found.length > 1) found.sort(ascending);
    if (this.unfiltered.length === 0) return found;
    // Merge the two ascending lists.
    const merged = this.merged;
    merged.length = 0;
    const always = this.unfiltered;
    let a = 0;
    let b = 0;
    while (a < found.length || b < always.length) {
      const x = found[a] ?? Number.POSITIVE_INFINITY;
      const y = always[b] ?? Number.POSITIVE_INFINITY;
      if (x < y) {
        merged.push(x);
        a += 1;
      } else {
        merged.push(y);
        b += 1;
      }
    }
    return merged;
  }
}

const ascending = (a: number, b: number) => a - b;
