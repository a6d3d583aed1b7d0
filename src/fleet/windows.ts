/**
 * Rolling windows for the fleet objects: counts over the last `n` outcomes, or over the
 * last `ms` of scheduler time kept in buckets. Both are plain memory with no timer: time
 * only ever comes in as an argument, and a bucket is cleared when time reaches it again.
 */

/** How many buckets a time window is kept in: an entry leaves it between 0.9·ms and ms after it was made. */
export const BUCKETS = 10;

/**
 * Counters over the last `ms` of time, in {@link BUCKETS} buckets of `ms / BUCKETS` each.
 * An entry made at time `t` lies in bucket `floor(t · BUCKETS / ms)`; at time `now` the
 * window holds the bucket of `now` and the `BUCKETS − 1` before it. Memory:
 * `BUCKETS × counters` numbers, whatever the traffic.
 */
export class TimeBuckets {
  /** The window's totals, one per counter, as of the last {@link advance}. */
  readonly totals: Float64Array;
  private readonly slots: Float64Array;
  /** The bucket index that time has last reached; `-Infinity` before any. */
  private last = Number.NEGATIVE_INFINITY;

  /**
   * @param ms The window's length, > 0.
   * @param counters How many counters each bucket holds.
   */
  constructor(
    private readonly ms: number,
    private readonly counters: number,
  ) {
    this.totals = new Float64Array(counters);
    this.slots = new Float64Array(BUCKETS * counters);
  }

  /** The bucket that time `now` falls in. */
  bucketOf(now: number): number {
    return Math.floor((now * BUCKETS) / this.ms);
  }

  /**
   * Moves the window to `now`: the buckets that fell out of it are cleared and their
   * counts leave the totals. Time never goes back: an earlier `now` changes nothing.
   */
  advance(now: number): void {
    const bucket = this.bucketOf(now);
    if (bucket <= this.last) return;
    if (bucket - this.last >= BUCKETS) {
      this.clear();
    } else {
      for (let index = this.last + 1; index <= bucket; index++) this.clearSlot(index);
    }
    this.last = bucket;
  }

  /** Adds `amount` to counter `counter` at time `now` (after moving the window there). */
  add(now: number, counter: number, amount: number): void {
    this.advance(now);
    const at = slotOf(this.last) * this.counters + counter;
    this.slots[at] = (this.slots[at] ?? 0) + amount;
    this.totals[counter] = (this.totals[counter] ?? 0) + amount;
  }

  /** Empties every bucket. */
  clear(): void {
    this.slots.fill(0);
    this.totals.fill(0);
  }

  private clearSlot(bucket: number): void {
    const base = slotOf(bucket) * this.counters;
    for (let counter = 0; counter < this.counters; counter++) {
      this.totals[counter] = (this.totals[counter] ?? 0) - (this.slots[base + counter] ?? 0);
      this.slots[base + counter] = 0;
    }
  }
}

/** The ring slot of a bucket index, also for negative times. */
function slotOf(bucket: number): number {
  return ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
}

/** What a finished call was, as a rolling window counts it. */
export const Outcome = /* @__PURE__ */ Object.freeze({ SUCCESS: 1, SLOW: 2, FAILURE: 3 } as const);
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * The outcomes of the calls in a window: `failures`, `successes` (slow ones included) and
 * `slow`, and their sum `calls`, as of the last {@link OutcomeWindow.advance}.
 */
export interface OutcomeWindow {
  readonly calls: number;
  readonly failures: number;
  readonly successes: number;
  readonly slow: number;
  /** Moves a time window to `now`; a count window does not move with time. */
  advance(now: number): void;
  add(now: number, outcome: Outcome): void;
  clear(): void;
}

/** The last `size` outcomes, in a ring of one byte each. */
export class CountWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  successes = 0;
  slow = 0;
  private readonly ring: Uint8Array;
  private next = 0;

  constructor(size: number) {
    this.ring = new Uint8Array(size);
  }

  advance(_now: number): void {}

  add(_now: number, outcome: Outcome): void {
    const old = this.ring[this.next] ?? 0;
    if (old !== 0) this.count(old, -1);
    this.ring[this.next] = outcome;
    this.count(outcome, 1);
    this.next = this.next + 1 === this.ring.length ? 0 : this.next + 1;
  }

  clear(): void {
    this.ring.fill(0);
    this.next = 0;
    this.calls = 0;
    this.failures = 0;
    this.successes = 0;
    this.slow = 0;
  }

  private count(outcome: number, by: number): void {
    this.calls += by;
    if (outcome === Outcome.FAILURE) {
      this.failures += by;
    } else {
      this.successes += by;
      if (outcome === Outcome.SLOW) this.slow += by;
    }
  }
}

const FAILURES = 0;
const SUCCESSES = 1;
const SLOW = 2;

/** The outcomes of the last `ms` of scheduler time, in {@link TimeBuckets}. */
export class TimeWindow implements OutcomeWindow {
  private readonly buckets: TimeBuckets;

  constructor(ms: number) {
    this.buckets = new TimeBuckets(ms, 3);
  }

  get failures(): number {
    return this.buckets.totals[FAILURES] ?? 0;
  }

  get successes(): number {
    return this.buckets.totals[SUCCESSES] ?? 0;
  }

  get slow(): number {
    return this.buckets.totals[SLOW] ?? 0;
  }

  get calls(): number {
    return this.failures + this.successes;
  }

  advance(now: number): void {
    this.buckets.advance(now);
  }

  add(now: number, outcome: Outcome): void {
    if (outcome === Outcome.FAILURE) {
      this.buckets.add(now, FAILURES, 1);
    } else {
      this.buckets.add(now, SUCCESSES, 1);
      if (outcome === Outcome.SLOW) this.buckets.add(now, SLOW, 1);
    }
  }

  clear(): void {
    this.buckets.clear();
  }
}
