/**
 * The rolling window of the fleet objects: counts over the last `n` entries, or over the
 * last `ms` of scheduler time kept in buckets. Plain memory with no timer: time only ever
 * comes in as an argument, and a slot is cleared when the window reaches it again.
 */

/** How many buckets a time window is kept in: an entry leaves it between 0.9·ms and ms after it was made. */
export const BUCKETS = 10;

/** Counters over a rolling window: see {@link ring}. */
export interface Ring {
  /** The window's totals, one per counter, as of the last {@link Ring.advance} or {@link Ring.add}. */
  readonly totals: Float64Array;
  /** The slots, `size × counters` numbers: all the memory the window has, whatever the traffic. */
  readonly slots: Float64Array;
  /** Moves a time window to `now`: the buckets that fell out of it leave the totals. A count window does not move with time. */
  advance(now: number): void;
  /** Counts one entry on `counter`, made at `now`. */
  add(now: number, counter: number): void;
  /** Empties every slot. */
  clear(): void;
}

/**
 * Counters over a rolling window, in a ring of slots that each hold `counters` counts, and
 * their totals. A slot is a position of the window:
 * - with `ms` (a time window), a bucket of `ms / BUCKETS`: an entry made at time `t` lies
 *   in bucket `⌊t · BUCKETS / ms⌋`, and at time `now` the window holds the bucket of `now`
 *   and the `BUCKETS − 1` before it. Time never goes back: an earlier `now` counts in the
 *   current bucket.
 * - without `ms` (a count window), one entry: each `add` moves one slot on, so the window
 *   holds the last `size` entries.
 *
 * Memory: `size × counters` numbers, whatever the traffic.
 * @param counters How many counters each slot holds.
 * @param ms The length of a time window, > 0; `undefined` for a count window.
 * @param size The slots of a count window, ≥ 1 (a time window has {@link BUCKETS}).
 */
export function ring(counters: number, ms?: number, size = BUCKETS): Ring {
  const totals = new Float64Array(counters);
  const slots = new Float64Array(size * counters);
  /** The position the window has last reached; before any, `-Infinity` (time) or `-1` (count). */
  let at = ms ? Number.NEGATIVE_INFINITY : -1;
  /** The first counter of the slot of `at` (kept as the window moves: no division on the way). */
  let slot = slots.length - counters;
  const clear = () => {
    slots.fill(0);
    totals.fill(0);
  };
  /** Moves to `position`, clearing the slots it passes; never back. */
  const to = (position: number) => {
    if (position <= at) return;
    if (position - at >= size) {
      clear();
      at = position;
      slot = (((position % size) + size) % size) * counters; // also for negative times
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
  const advance = (now: number) => {
    if (ms) to(Math.floor((now * BUCKETS) / ms));
  };
  return {
    totals,
    slots,
    advance,
    add(now, counter) {
      if (ms) advance(now);
      else to(at + 1);
      slots[slot + counter] = (slots[slot + counter] as number) + 1;
      totals[counter] = (totals[counter] as number) + 1;
    },
    clear,
  };
}
