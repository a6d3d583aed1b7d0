import type { Cluster, Redis } from 'ioredis';
import { type Observable, Subject } from 'rxjs';
import type { CircuitBreakerSnapshot } from '../fleet/circuitBreaker.js';
import type { RetryBudgetSnapshot } from '../fleet/retryBudget.js';
import type { CircuitState } from '../observability/signals.js';
import { errorText } from '../patterns/errorText.js';
import type { Member, Message, ReadResult, StoreCore } from './storeCore.js';

/** Options of `store.watchFleet()`. Strict: an unknown key is a `RecoveryConfigError`. */
export interface FleetViewOptions {
  /**
   * Breakers the view holds at most, and budgets apart: beyond, names are not read and
   * the report says `truncated`. Memory stays bounded whatever the key space holds.
   * @default 100
   */
  maxNames?: number | undefined;
}

/**
 * One shared circuit breaker, as Redis holds it: the fields of a breaker's own
 * `snapshot()`, for the fleet. `calls`, `failures`, `successes` and `slow` are the fleet's
 * window as the processes last flushed it (every `flushMs`), rounded; `state` reads
 * `half_open` once an open breaker's wait is over, as a breaker's own snapshot does.
 *
 * `NaN` is a figure the view cannot tell: a time window's counts in a hash written by an
 * older version of the scripts, which did not record the window (`win`), so that the view
 * cannot tell which of its buckets are current. The view makes no number up
 * (`Number.isNaN(breaker.calls)`); the state, openings and failures in a row are known.
 */
export type FleetBreaker = CircuitBreakerSnapshot;

/**
 * One shared retry budget, as Redis holds it: the fleet's deposits and withdrawals over the
 * budget's window (withdrawals include tokens lent to a process and not spent yet), and
 * the balance, `⌊ratio × deposits + reserve⌋ − withdrawals`, at least 0.
 *
 * `NaN` is a figure the view cannot tell, in a hash written by an older version of the
 * scripts: without the window (`win`), none of the three (which buckets are current is
 * unknown); without `ratio` or `reserve`, the balance. The view makes no number up
 * (`Number.isNaN(budget.balance)`).
 */
export interface FleetBudget extends RetryBudgetSnapshot {
  /** The budget's `name`. */
  readonly name: string;
}

/** What a fleet view read in Redis. Frozen. */
export interface FleetReport {
  /** The store's prefix. */
  readonly prefix: string;
  /** When it was read: the store's scheduler time. */
  readonly at: number;
  /**
   * Whether Redis answered every read. When it did not, `error` says why, and `breakers`
   * and `budgets` are what the view last read of each: a name whose hash could be read now
   * is up to date (gone when its key is), the others are as last read (none before a read).
   * A view's failed read is its own: the store is not degraded by it.
   */
  readonly reachable: boolean;
  /** The first line of what failed, when a read did: no answer, or a refusal (ACL `NOPERM`). */
  readonly error?: string | undefined;
  /** The shared breakers under the prefix, by name. */
  readonly breakers: readonly FleetBreaker[];
  /** The shared budgets under the prefix, by name. */
  readonly budgets: readonly FleetBudget[];
  /** Whether the key space has been walked through once: until then, more may show up. */
  readonly complete: boolean;
  /** Whether more breakers or budgets exist than the view holds (`maxNames`). */
  readonly truncated: boolean;
}

/** A shared breaker changed state, as the view heard it (on the channel, or by reading). */
export interface FleetBreakerChange {
  /** The breaker's `name`. */
  readonly name: string;
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
  /** When the view heard of it: the store's scheduler time. */
  readonly at: number;
}

/**
 * A read-only view of the breakers and budgets a fleet shares under one prefix, from
 * `store.watchFleet()`. It never writes to Redis and never makes a breaker or a budget.
 */
export interface FleetView {
  /** The store's prefix. */
  readonly prefix: string;
  /**
   * Reads the fleet now: one bounded step of a SCAN over the prefix's breaker and budget
   * keys (at most 10 calls of COUNT 1000 per Redis node;
   * a larger key space is walked over several reads), then one HGETALL per name held:
   * a name whose key is gone (expired, deleted) leaves the view, whether a walk or the
   * channel brought it. When Redis refuses the SCAN (an ACL) the names held are still read.
   * Reads that overlap share one. Never rejects: when Redis fails, the report says so, and
   * the store goes on as it was (no `store_degraded`, its objects still share).
   */
  read(): Promise<FleetReport>;
  /**
   * Breaker transitions as the store's channel announces them (a process's script moved
   * the breaker), and those a read finds (a message lost, an open wait that ended). Hot;
   * no replay.
   */
  readonly changes$: Observable<FleetBreakerChange>;
  /** Stops listening; `changes$` completes. Idempotent. `store.close()` ends every view. */
  close(): void;
}

/** How many keys one SCAN call asks for. */
export const SCAN_COUNT = 1000;
/** SCAN calls per node in one read, at most. */
export const SCAN_CALLS = 10;

/** Where a name left out came from when it was heard on the channel, not found by a walk. */
const HEARD = ' channel';

/** A Redis node as the view scans it. */
type Scanner = {
  scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
};
type Reader = { hgetall(key: string): Promise<Record<string, string>> };

/** A key that is not a hash (`WRONGTYPE`): not a breaker or budget of this store. */
const FOREIGN = Symbol('foreign');

/** Why a read failed; a string is the whole reason, as is. */
type Failure = { readonly error: unknown } | string;

/** Redis answered, with an error (`ReplyError`: an ACL's `NOPERM`, `WRONGTYPE`…). */
const replyError = (error: unknown) =>
  (error as { name?: unknown } | undefined)?.name === 'ReplyError';
const wrongType = (error: unknown) =>
  replyError(error) && String((error as Error).message).startsWith('WRONGTYPE');
/** A bucket number's field (`b0`…`b9`): a time window's. */
const BUCKET = /^b\d$/;

interface BreakerRecord {
  id: string;
  gen: number;
  /** The state Redis holds (an open breaker stays `open` there until a call turns it). */
  state: CircuitState;
  halfAt: number;
  opens: number;
  /** The state last reported: what a change starts from. */
  shown: CircuitState | undefined;
  counts: Record<string, string>;
}

const STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half_open', 'isolated']);
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
const num = (h: Record<string, string>, field: string) => {
  const value = Number(h[field]);
  return Number.isFinite(value) ? value : 0;
};
/** A field that older scripts did not write: `NaN` when absent or not a number. */
const known = (h: Record<string, string>, field: string) => {
  const text = h[field];
  return text === undefined || text.trim() === '' ? Number.NaN : Number(text);
};

/**
 * Opens a {@link FleetView} on `core`: a member of the store that only listens to its
 * channel, and reads when asked.
 */
export function watchFleet(core: StoreCore, maxNames: number): FleetView {
  const view = new FleetWatcher(core, maxNames);
  core.add(view);
  return Object.freeze({
    prefix: core.prefix,
    read: () => view.read(),
    changes$: view.changes.asObservable(),
    close: () => view.close(),
  });
}

class FleetWatcher implements Member {
  readonly hub = undefined;
  readonly changes = new Subject<FleetBreakerChange>();
  private readonly breakers = new Map<string, BreakerRecord>();
  private readonly budgets = new Map<string, Record<string, string>>();
  private readonly breakerKey: string;
  private readonly budgetKey: string;
  private readonly pattern: string;
  /** Per node (`host:port`, or '' for a single server): where its SCAN goes on. */
  private readonly cursors = new Map<string, string>();
  /** Nodes walked through at least once. */
  private readonly walked = new Set<string>();
  /** The nodes of the last read. */
  private nodes: readonly string[] = [];
  /**
   * Keys found under the prefix that are not a breaker's or a budget's hash (another type,
   * other fields): skipped by later walks, so that they never take a place again. At most
   * `maxNames`.
   */
  private readonly foreign = new Set<string>();
  /**
   * Where names were left out for want of room: nodes whose walk under way has left some
   * out ({@link HEARD}: a breaker heard on the channel), and nodes whose last complete walk
   * did. One set each, not one flag: a cluster's masters finish their walks apart.
   */
  private readonly leftOut = new Set<string>();
  private readonly leftOutBefore = new Set<string>();
  private reading: Promise<FleetReport> | undefined;
  private closed = false;

  constructor(
    private readonly core: StoreCore,
    private readonly maxNames: number,
  ) {
    this.breakerKey = `{${core.prefix}:breaker:`;
    this.budgetKey = `{${core.prefix}:budget:`;
    // `breaker:` and `budget:` both start with b: one walk finds both. ioredis puts the
    // client's keyPrefix before the keys read (HGETALL), not before a SCAN pattern.
    this.pattern = `${globEscape(core.keyPrefix)}{${globEscape(core.prefix)}:b*}`;
  }

  // A member of the store: it listens to the channel; it has nothing to flush or sync.
  flush(): void {}
  sync(): Promise<boolean> {
    return Promise.resolve(true);
  }
  close(): Promise<unknown> {
    if (!this.closed) {
      this.closed = true;
      this.core.remove(this);
      this.changes.complete();
    }
    return Promise.resolve(true);
  }

  message(message: Message): void {
    if (this.closed || message.k !== 'b' || typeof message.n !== 'string') return;
    if (!Array.isArray(message.r)) return;
    const [id, gen, state, halfAt, opens] = message.r as unknown[];
    if (typeof state !== 'string' || !STATES.has(state)) return;
    this.adopt(
      message.n,
      String(id),
      Number(gen),
      state as CircuitState,
      Number(halfAt),
      Number(opens),
      true,
    );
  }

  read(): Promise<FleetReport> {
    if (this.reading !== undefined) return this.reading;
    const reading = this.refresh();
    this.reading = reading;
    void reading.then(() => {
      if (this.reading === reading) this.reading = undefined;
    });
    return reading;
  }

  private async refresh(): Promise<FleetReport> {
    if (this.closed || this.core.closed) return this.report('the store is closed');
    let failure = await this.walk();
    // Redis did not answer (down, slow): reading every name now would only wait again. When
    // it answered with a refusal (an ACL without SCAN), the names held are still read, so
    // that those heard on the channel and gone since leave the view.
    if (failure !== undefined && (typeof failure === 'string' || !replyError(failure.error))) {
      return this.report(failure);
    }
    const names = [
      ...[...this.breakers.keys()].map((name) => ({ name, breaker: true })),
      ...[...this.budgets.keys()].map((name) => ({ name, breaker: false })),
    ];
    const results = await Promise.all(
      names.map(({ name, breaker }) => {
        const key = `${breaker ? this.breakerKey : this.budgetKey}${name}}`;
        return this.core.read((client) =>
          (client as unknown as Reader).hgetall(key).catch((error: unknown) => {
            if (wrongType(error)) return FOREIGN;
            throw error;
          }),
        );
      }),
    );
    results.forEach((result, index) => {
      // Not read this time: kept as last read.
      if (!result.ok) {
        failure ??= { error: result.error };
        return;
      }
      const { name, breaker } = names[index] as { name: string; breaker: boolean };
      const key = `${breaker ? this.breakerKey : this.budgetKey}${name}}`;
      // Another type than a hash (WRONGTYPE): read as a hash of no field of ours.
      const { reply } = result;
      const hash = reply === FOREIGN ? { '': '' } : ((reply ?? {}) as Record<string, string>);
      if (breaker ? this.readBreaker(name, hash) : this.readBudget(name, hash)) return;
      // Gone (expired): it may come back. Not ours: skipped from now on.
      if (Object.keys(hash).length > 0 && this.foreign.size < this.maxNames) this.foreign.add(key);
    });
    return this.report(failure);
  }

  /**
   * One bounded step of the SCAN on every node (a cluster's masters, or the one server);
   * the names it finds join the view while there is room.
   * @returns Why it stopped short, or undefined when every node answered.
   */
  private async walk(): Promise<Failure | undefined> {
    const client = this.core.redis;
    const cluster = (client as Cluster).isCluster === true;
    if (cluster && (client as Cluster).nodes('master').length === 0) {
      // Still connecting: a cluster's masters are known once its slots are. A command waits
      // for that (ioredis queues it), within the read's limit.
      const connected = await this.core.read(() => (client as Cluster).ping());
      if (!connected.ok) return { error: connected.error };
      if ((client as Cluster).nodes('master').length === 0) {
        return "the cluster's masters are not known";
      }
    }
    const nodes: [string, Scanner][] = cluster
      ? (client as Cluster).nodes('master').map((node) => {
          const { host, port } = node.options;
          return [`${host}:${port}`, node as unknown as Scanner];
        })
      : [['', client as Redis as unknown as Scanner]];
    this.nodes = nodes.map(([node]) => node);
    for (const [node, scanner] of nodes) {
      for (let call = 0; call < SCAN_CALLS; call++) {
        const cursor = this.cursors.get(node) ?? '0';
        const result: ReadResult = await this.core.read(() =>
          scanner.scan(cursor, 'MATCH', this.pattern, 'COUNT', SCAN_COUNT),
        );
        if (!result.ok) return { error: result.error };
        if (!Array.isArray(result.reply)) return 'SCAN answered something else than a list';
        const [next, keys] = result.reply as [unknown, unknown];
        if (Array.isArray(keys)) for (const key of keys) this.found(String(key), node);
        this.cursors.set(node, String(next));
        if (String(next) === '0') {
          this.walked.add(node);
          const mine = this.leftOut.delete(node);
          const heard = this.leftOut.delete(HEARD);
          if (mine || heard) this.leftOutBefore.add(node);
          else this.leftOutBefore.delete(node);
          break;
        }
      }
    }
    return undefined;
  }

  /** A key SCAN found: with the client's keyPrefix, which the view's reads leave to ioredis. */
  private found(scanned: string, node: string): void {
    const { keyPrefix } = this.core;
    if (!scanned.startsWith(keyPrefix)) return;
    const key = scanned.slice(keyPrefix.length);
    if (!key.endsWith('}') || this.foreign.has(key)) return;
    let map: Map<string, unknown>;
    let name: string;
    if (key.startsWith(this.breakerKey)) {
      map = this.breakers;
      name = key.slice(this.breakerKey.length, -1);
    } else if (key.startsWith(this.budgetKey)) {
      map = this.budgets;
      name = key.slice(this.budgetKey.length, -1);
    } else {
      return;
    }
    if (map.has(name)) return;
    if (map.size >= this.maxNames) {
      this.leftOut.add(node);
      return;
    }
    if (map === this.breakers) this.breakers.set(name, newRecord());
    else this.budgets.set(name, {});
  }

  /** Takes a budget's hash; false (and forgets the name) when it is gone or not a budget's. */
  private readBudget(name: string, hash: Record<string, string>): boolean {
    if (hash.win === undefined && !Object.keys(hash).some((field) => BUCKET.test(field))) {
      this.budgets.delete(name);
      return false;
    }
    this.budgets.set(name, hash);
    return true;
  }

  /** Takes a breaker's hash; false (and forgets the name) when it is gone or not a breaker's. */
  private readBreaker(name: string, hash: Record<string, string>): boolean {
    if (hash.state === undefined || !STATES.has(hash.state) || hash.id === undefined) {
      this.breakers.delete(name);
      return false;
    }
    const record = this.adopt(
      name,
      hash.id,
      num(hash, 'gen'),
      hash.state as CircuitState,
      num(hash, 'halfAt'),
      num(hash, 'opens'),
      false,
    );
    if (record !== undefined) record.counts = hash;
    return true;
  }

  /**
   * Takes a breaker's state, from a message (`live`) or a read, when it is news: another
   * hash (the store lost the breaker and a process made it again), or a later generation.
   * Reports a change of the state it shows.
   */
  private adopt(
    name: string,
    id: string,
    gen: number,
    state: CircuitState,
    halfAt: number,
    opens: number,
    live: boolean,
  ): BreakerRecord | undefined {
    let record = this.breakers.get(name);
    if (record === undefined) {
      if (this.breakers.size >= this.maxNames) {
        this.leftOut.add(HEARD);
        return undefined;
      }
      record = newRecord();
      this.breakers.set(name, record);
    }
    if (record.id === id && gen < record.gen) return record; // an older answer, overtaken
    if (record.shown === undefined && live && gen === 1 && record.id === '') {
      // Every hash starts closed in generation 0: its first transition, heard live, left `closed`.
      record.shown = 'closed';
    }
    record.id = id;
    record.gen = gen;
    record.state = state;
    record.halfAt = halfAt;
    record.opens = opens;
    this.show(name, record);
    return record;
  }

  /** The state `record` shows now; a change when it differs from the one last shown. */
  private show(name: string, record: BreakerRecord): CircuitState {
    const at = this.core.scheduler.now();
    const to = record.state === 'open' && at >= record.halfAt ? 'half_open' : record.state;
    const from = record.shown;
    record.shown = to;
    if (from !== undefined && from !== to && !this.closed) {
      this.changes.next(Object.freeze({ name, from, to, at }));
    }
    return to;
  }

  /** What the view holds now; `failure`: why this read fell short (unreachable). */
  private report(failure?: Failure): FleetReport {
    const now = this.core.scheduler.now();
    const breakers = [...this.breakers]
      .filter(([, record]) => record.id !== '')
      .map(([name, record]) => breakerOf(name, record, this.show(name, record), now))
      .sort(byName);
    const budgets = [...this.budgets]
      .filter(([, hash]) => Object.keys(hash).length > 0)
      .map(([name, hash]) => budgetOf(name, hash, now))
      .sort(byName);
    let error: string | undefined;
    if (failure !== undefined) {
      const text = typeof failure === 'string' ? failure : errorText(failure.error);
      error = text.split('\n')[0]?.slice(0, 240);
    }
    return Object.freeze({
      prefix: this.core.prefix,
      at: now,
      reachable: failure === undefined,
      ...(error === undefined ? {} : { error }),
      breakers: Object.freeze(breakers),
      budgets: Object.freeze(budgets),
      complete: this.nodes.length > 0 && this.nodes.every((node) => this.walked.has(node)),
      truncated: this.leftOut.size > 0 || this.leftOutBefore.size > 0,
    });
  }
}

const newRecord = (): BreakerRecord => ({
  id: '',
  gen: -1,
  state: 'closed',
  halfAt: 0,
  opens: 0,
  shown: undefined,
  counts: {},
});

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * Sums `fields` over the current buckets of a time window of `size` ms: buckets numbered
 * `⌊now × 10 / size⌋` and the 9 before. Without a size (a hash of older scripts, no `win`),
 * which buckets are current is unknown: every sum is `NaN`.
 */
function buckets(
  h: Record<string, string>,
  fields: readonly string[],
  size: number,
  now: number,
): number[] {
  if (!(size > 0 && Number.isFinite(size))) return fields.map(() => Number.NaN);
  const numbers = Array.from({ length: 10 }, (_, i) => Number(h[`b${i}`]));
  const newest = Math.floor((now * 10) / size);
  const sums = fields.map(() => 0);
  numbers.forEach((bucket, i) => {
    if (!(bucket > newest - 10 && bucket <= newest)) return;
    fields.forEach((field, f) => {
      sums[f] = (sums[f] ?? 0) + num(h, `${field}${i}`);
    });
  });
  return sums;
}

function breakerOf(
  name: string,
  record: BreakerRecord,
  state: CircuitState,
  now: number,
): FleetBreaker {
  const h = record.counts;
  // `t<ms>` a time window, `c<calls>` a calls window. Without `win` (older scripts), a hash
  // with bucket numbers has a time window of unknown size; one without has totals, or none.
  const win = h.win ?? (Object.keys(h).some((field) => BUCKET.test(field)) ? 't' : 'c');
  const [failures = 0, successes = 0, slow = 0] = win.startsWith('t')
    ? buckets(h, ['f', 's', 'w'], Number(win.slice(1)), now)
    : [num(h, 'f'), num(h, 's'), num(h, 'w')];
  let isolations = 0;
  for (const field of Object.keys(h)) if (field.startsWith('i:')) isolations += num(h, field);
  return Object.freeze({
    name,
    state,
    generation: record.gen,
    opens: record.opens,
    calls: Math.round(failures + successes),
    failures: Math.round(failures),
    successes: Math.round(successes),
    slow: Math.round(slow),
    consecutiveFailures: num(h, 'run'),
    trialCalls: state === 'half_open' && record.state === 'half_open' ? num(h, 'trials') : 0,
    trialSuccesses: state === 'half_open' && record.state === 'half_open' ? num(h, 'ok') : 0,
    isolations,
    retryAfterMs:
      state === 'isolated'
        ? Number.POSITIVE_INFINITY
        : state === 'open'
          ? Math.max(0, record.halfAt - now)
          : 0,
  });
}

function budgetOf(name: string, h: Record<string, string>, now: number): FleetBudget {
  const [deposits = 0, withdrawals = 0] = buckets(h, ['d', 'w'], known(h, 'win'), now);
  // NaN when any of the four is unknown (Math.max keeps a NaN).
  const bound = Math.floor(known(h, 'ratio') * deposits + known(h, 'reserve') + 1e-9);
  return Object.freeze({
    name,
    deposits,
    withdrawals,
    balance: Math.max(0, bound - withdrawals),
  });
}
