/**
 * The rolling window of the fleet objects: counts over the last `n` entries, or over the
 * last `ms` of scheduler time kept in buckets. Plain memory with no timer: time only ever
 * comes in as an argument, and a slot is cleared when the window reaches it again.
 */

/** How many buckets a time window is kept in: an entry leaves it between 0.9·ms and ms after it was made. */
export const BUCKETS = 10;

/**
 * The most entries a count window holds (a breaker's `trip.window.calls`, and the window a
 * `consecutive` trip keeps): one byte each, so at most about 100 kB per window.
 */
export const MAX_WINDOW_CALLS = 100_000;

/** Counters over a rolling window: see {@link ring}. */
export interface Ring {
  /** The window's totals, one per counter, as of the last {@link Ring.advance} or {@link Ring.add}. */
  readonly totals: Float64Array;
  /**
   * All the memory the window has, whatever the traffic: a time window's buckets,
   * `BUCKETS × counters` counts; a count window's entries, one byte each (the counter the
   * entry was counted on, plus 1; 0 for none yet).
   */
  readonly slots: Float64Array | Uint8Array;
  /** Moves a time window to `now`: the buckets that fell out of it leave the totals. A count window does not move with time. */
  advance(now: number): void;
  /** Counts one entry on `counter`, made at `now`. */
  add(now: number, counter: number): void;
  /** Empties every slot. */
  clear(): void;
}

/**
 * Counters over a rolling window, and their totals:
 * - with `ms` (a time window), a ring of {@link BUCKETS} buckets of `ms / BUCKETS`, each
 *   holding `counters` counts: an entry made at time `t` lies in bucket
 *   `⌊t · BUCKETS / ms⌋`, and at time `now` the window holds the bucket of `now` and the
 *   `BUCKETS − 1` before it. Time never goes back: an earlier `now` counts in the current
 *   bucket.
 * - without `ms` (a count window), a ring of `size` entries, each remembering the counter
 *   it was counted on: each `add` moves one entry on, so the window holds the last `size`
 *   entries.
 *
 * Memory: `BUCKETS × counters` numbers, or `size` bytes, whatever the traffic.
 * @param counters How many counters the window keeps (at most 255).
 * @param ms The length of a time window, > 0; `undefined` for a count window.
 * @param size The entries of a count window, ≥ 1 (its memory: keep it within {@link MAX_WINDOW_CALLS}).
 */
export function ring(counters: number, ms?: number, size = BUCKETS): Ring {
  const totals = new Float64Array(counters);
  if (!ms) return countRing(totals, size);
  const slots = new Float64Array(BUCKETS * counters);
  /** The bucket the window has last reached; before any, `-Infinity`. */
  let at = Number.NEGATIVE_INFINITY;
  /** The first counter of the slot of `at` (kept as the window moves: no division on the way). */
  let slot = slots.length - counters;
  const clear = () => {
    slots.fill(0);
    totals.fill(0);
  };
  /** Moves to bucket `position`, clearing the slots it passes; never back. */
  const advance = (now: number) => {
    const position = Math.floor((now * BUCKETS) / ms);
    if (position <= at) return;
    if (position - at >= BUCKETS) {
      clear();
      at = position;
      slot = (((position % BUCKETS) + BUCKETS) % BUCKETS) * counters; // also for negative times
      return;
    }
    while (at < position) {
      at++;
      slot = slot + counters === slots.length ? 0 : slot + counters;
      for (let c = 0; c < counters; c++) {
        totals[c] = (totals[c] as number) - (slots[slot + c] as number);
        slots[slot + c] = 0;
      }
    }
  };
  return {
    totals,
    slots,
    advance,
    add(now, counter) {
      advance(now);
      slots[slot + counter] = (slots[slot + counter] as number) + 1;
      totals[counter] = (totals[counter] as number) + 1;
    },
    clear,
  };
}

/** The count window of {@link ring}: the last `size` entries, one byte each. */
function countRing(totals: Float64Array, size: number): Ring {
  const slots = new Uint8Array(size);
  /** The entry last written. */
  let at = size - 1;
  return {
    totals,
    slots,
    advance() {},
    add(_now, counter) {
      at = at + 1 === size ? 0 : at + 1;
      const left = slots[at] as number; // the entry that leaves the window, if any
      if (left !== 0) totals[left - 1] = (totals[left - 1] as number) - 1;
      slots[at] = counter + 1;
      totals[counter] = (totals[counter] as number) + 1;
    },
    clear() {
      slots.fill(0);
      totals.fill(0);
    },
  };
}
