import { Observable } from 'rxjs';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { BrokenCircuitError, type RefusingCircuitState } from '../fleet/BrokenCircuitError.js';
import { REFUSED } from '../fleet/breakerState.js';
import type { BreakerProtocol } from '../fleet/protocols.js';
import type { BreakerLink, SharedBreaker } from '../fleet/store.js';
import type { CircuitState } from '../observability/signals.js';
import type { Classification } from '../patterns/classifier.js';
import { breakerScript } from './scripts.js';
import { FAILED, type Member, type Message, type StoreCore } from './storeCore.js';

/** A name the store requires: it is the object's key, alike in every process. */
export function requireName(name: string | undefined): string {
  if (name === undefined) throw new RecoveryConfigError(['options.name: required with a store']);
  return name;
}

/** How a call ended, for the batch a process flushes. */
const OK = 1;
const SLOW = 2;
const FAIL = 3;
const NONE = 0;
type Outcome = typeof OK | typeof SLOW | typeof FAIL | typeof NONE;
const TRIAL_OUTCOME = ['none', 'ok', 'slow', 'fail'] as const;

/** What stands for `Infinity` in a script: about 31,700 years. */
const FOREVER = 1e15;
const finite = (ms: number) => (Number.isFinite(ms) ? ms : FOREVER);

/**
 * Shares a breaker through the store. The breaker's own machine stays the one that
 * decides: closed calls are admitted and counted locally, as without a store, and their
 * outcomes are flushed every `flushMs` (at once when they trip the breaker here); the
 * store's answers, and the transitions other processes publish, move the machine to the
 * shared state. A half-open call asks the store for its permit. While the store is
 * degraded the breaker is the breaker it would be without a store.
 */
export function shareBreaker(core: StoreCore, link: BreakerLink): SharedBreaker {
  const member = new BreakerMember(core, link, requireName(link.name));
  core.add(member);
  return member.shared;
}

class BreakerMember implements Member {
  readonly hub: object | undefined;
  readonly shared: SharedBreaker;
  private readonly key: string;
  private readonly ttl: number;
  private readonly config: readonly (string | number)[];
  private readonly slowMs: number;

  // Outcomes since the last flush.
  private ok = 0;
  private failures = 0;
  private slow = 0;
  /** Failures in a row at the end of the batch. */
  private run = 0;
  /** The batch holds a success: the store's count of failures in a row starts over. */
  private broke = false;
  /** The breaker tripped here: open it in the store too. */
  private tripped = false;
  private dirty = false;
  /** The flush in flight. */
  private inflight: Promise<boolean> | undefined;

  /** The shared state last adopted: the hash's id and generation. */
  private id = '';
  private gen = -1;
  /** Half-open permits the store granted, for local permit `heldPermit` in shared generation `heldGen`. */
  private held = 0;
  private heldPermit = -1;
  private heldGen = -1;
  /** This process's isolation handles not yet released (the store counts them per process). */
  private isolations = 0;
  private isolating = 0;
  /** The breaker was disposed: it goes on alone, and answers still on their way are ignored. */
  private disposed = false;

  constructor(
    private readonly core: StoreCore,
    private readonly link: BreakerLink,
    private readonly name: string,
  ) {
    this.hub = link.hub;
    this.key = `{${core.prefix}:breaker:${name}}`;
    const { trip, slowCall, halfOpenCalls } = link.machine.settings;
    const consecutive = 'consecutive' in trip ? trip.consecutive : 0;
    const window = 'consecutive' in trip ? { calls: trip.consecutive } : trip.window;
    const ms = 'ms' in window ? window.ms : 0;
    this.config = [
      consecutive,
      ms > 0 ? 't' : 'c',
      ms > 0 ? ms : (window as { calls: number }).calls,
      'rate' in trip ? trip.rate : -1,
      'minimumCalls' in trip ? trip.minimumCalls : consecutive,
      slowCall === undefined ? -1 : slowCall.rate,
      halfOpenCalls,
    ];
    this.ttl = Math.max(60_000, 10 * core.syncMs, ms);
    this.slowMs = slowCall === undefined ? Number.POSITIVE_INFINITY : slowCall.ms;
    this.shared = Object.freeze({
      protocol: this.protocol(),
      manual: (action: 'isolate' | 'release' | 'reset', epoch?: number) =>
        this.manual(action, epoch),
      dispose: () => {
        this.disposed = true;
        core.remove(this);
      },
    });
  }

  /** Whether the store is in use: healthy, and the breaker not disposed. */
  private get live(): boolean {
    return this.core.healthy && !this.disposed;
  }

  flush(): void {
    if (this.dirty && this.inflight === undefined && this.live) void this.exchange(false);
  }

  sync(recover: boolean): Promise<boolean> {
    return (this.inflight ?? Promise.resolve(true)).then(() => this.exchange(recover));
  }

  message(message: Message): void {
    if (message.k === 'b' && message.n === this.name && Array.isArray(message.r)) {
      this.adopt(message.r, false);
    }
  }

  /**
   * The last flush, then this process's isolations withdrawn from the store: once closed,
   * the process can no longer release them there, and they would hold the fleet's breaker
   * isolated until a `reset()`. Here the handles still hold the breaker until released.
   */
  close(): Promise<unknown> {
    return (this.inflight ?? Promise.resolve(true))
      .then(() => (this.dirty ? this.exchange(false) : true))
      .then(() => (this.isolations > 0 ? this.send('isolate', [0]) : true));
  }

  private protocol(): BreakerProtocol {
    const { link } = this;
    const { machine, local } = link;
    return Object.freeze({
      version: 1 as const,
      name: local.name,
      timesCalls: local.timesCalls,
      now: () => local.now(),
      admit: () => {
        if (machine.state === 'closed') return machine.generation; // the hot path: no store
        if (!this.live) return local.admit();
        machine.tick(local.now());
        link.announce();
        return machine.state === 'half_open' ? this.acquire() : local.admit();
      },
      succeed: (permit: number, startedAt: number) => {
        if (machine.state === 'closed' && machine.timeFreeSuccess) {
          if (machine.succeedWithoutTime(permit) && permit === machine.generation) this.count(OK);
          return;
        }
        const now = local.now();
        machine.tick(now);
        const slow = now - startedAt > this.slowMs;
        this.settle(permit, slow ? SLOW : OK, () => machine.succeed(permit, slow, now));
      },
      fail: (permit: number, error: unknown, classification: Classification) => {
        if (permit !== machine.generation) return;
        let counts: boolean;
        try {
          counts = Boolean(link.countsAsFailure(error, classification));
        } catch {
          counts = true;
        }
        const now = local.now();
        machine.tick(now);
        this.settle(permit, counts ? FAIL : NONE, () => machine.fail(permit, counts, now));
      },
      release: (permit: number) => {
        if (permit !== machine.generation || machine.state === 'closed') return;
        const now = local.now();
        machine.tick(now);
        this.settle(permit, NONE, () => machine.release(permit, now));
      },
    });
  }

  /** Applies an outcome to the machine, and tells the store what it needs to know of it. */
  private settle(permit: number, outcome: Outcome, apply: () => void): void {
    const { machine } = this.link;
    const counted = machine.state === 'closed' && permit === machine.generation;
    const trial =
      machine.state === 'half_open' &&
      this.held > 0 &&
      permit === this.heldPermit &&
      permit === machine.generation;
    apply();
    if (counted && outcome !== NONE) this.count(outcome);
    if (trial) {
      this.held--;
      void this.send('trial', [this.heldGen, TRIAL_OUTCOME[outcome]]);
    }
    const { transitions } = machine;
    for (let index = 0; index < transitions.length; index++) {
      const transition = transitions[index];
      if (transition?.from === 'closed' && transition.to === 'open') this.tripped = true;
    }
    this.link.announce();
    if (this.tripped && this.inflight === undefined && this.live) void this.exchange(false);
  }

  private count(outcome: Outcome): void {
    if (outcome === FAIL) {
      this.failures++;
      this.run++;
    } else {
      if (outcome === SLOW) this.slow++;
      else this.ok++;
      this.run = 0;
      this.broke = true;
    }
    this.dirty = true;
  }

  /** A half-open call: the permit is the store's, taken atomically there. */
  private acquire(): Observable<number | BrokenCircuitError> {
    return new Observable<number | BrokenCircuitError>((subscriber) => {
      let wanted = true;
      const giveBack = (reply: unknown) => {
        if (Array.isArray(reply) && reply[0] === 1) {
          void this.send('trial', [Number(reply[2]), 'none']);
        }
      };
      void this.send('acquire', [], false, giveBack).then((reply) => {
        if (!wanted) {
          giveBack(reply);
          return;
        }
        try {
          if (reply === FAILED) {
            // The store failed: decide here (the breaker's own protocol answers at once).
            subscriber.next(this.link.local.admit() as number | BrokenCircuitError);
          } else {
            const granted = (reply as unknown[])[0] === 1;
            subscriber.next(granted ? this.trial(Number((reply as unknown[])[2])) : this.refusal());
          }
          subscriber.complete();
        } catch (error) {
          subscriber.error(error);
        }
      });
      return () => {
        wanted = false;
      };
    });
  }

  /** The store granted a trial in shared generation `gen`: take the local permit too. */
  private trial(gen: number): number | BrokenCircuitError {
    const { machine, local } = this.link;
    const now = local.now();
    const permit = machine.state === 'half_open' ? machine.admit(now) : REFUSED;
    this.link.announce();
    if (permit === REFUSED) {
      void this.send('trial', [gen, 'none']);
      return this.refusal();
    }
    if (permit !== this.heldPermit) this.held = 0;
    this.held++;
    this.heldPermit = permit;
    this.heldGen = gen;
    return permit;
  }

  /** The store granted no permit: refused, unless the breaker closed meanwhile. */
  private refusal(): number | BrokenCircuitError {
    const { machine, local } = this.link;
    const now = local.now();
    machine.tick(now);
    this.link.announce();
    if (machine.state === 'closed') return machine.generation;
    const state = machine.state as RefusingCircuitState;
    return new BrokenCircuitError(this.name, state, machine.retryAfterMs(now));
  }

  private manual(action: 'isolate' | 'release' | 'reset', epoch: number | undefined): void {
    // Disposed, the breaker has left the store: what is done by hand now is its own alone.
    if (this.disposed) return;
    const { machine } = this.link;
    if (action === 'reset') {
      this.isolations = 0;
      this.clearBatch();
      void this.send('reset', []);
      return;
    }
    if (action === 'isolate') {
      this.isolations++;
    } else if (
      machine.state === 'isolated' &&
      epoch === machine.isolationEpoch &&
      this.isolations > 0
    ) {
      this.isolations--;
    } else {
      return;
    }
    this.isolating++;
    void this.send('isolate', [this.isolations]).then(() => {
      this.isolating--;
    });
  }

  /**
   * Flushes the batch and adopts the answer. `recover`: after an outage, or when the store
   * lost the breaker (Redis restarted, the key expired): no counts (they are old), but
   * what this process knows goes back first — its isolations, its own opening — and the
   * store's state is adopted, whatever its generation.
   */
  private exchange(recover: boolean): Promise<boolean> {
    const { machine } = this.link;
    const batch = recover
      ? [0, 0, 0, 0, 0, machine.state === 'open' ? 1 : 0, this.isolations]
      : [this.ok, this.failures, this.slow, this.run, this.broke ? 1 : 0, this.tripped ? 1 : 0];
    this.clearBatch();
    const inflight = this.send('flush', batch, recover).then((reply) => {
      if (this.inflight === inflight) this.inflight = undefined;
      return reply !== FAILED;
    });
    this.inflight = inflight;
    return inflight;
  }

  private clearBatch(): void {
    this.ok = 0;
    this.failures = 0;
    this.slow = 0;
    this.run = 0;
    this.broke = false;
    this.tripped = false;
    this.dirty = false;
  }

  private send(
    op: string,
    extra: readonly (string | number)[],
    force = false,
    late?: (reply: unknown) => void,
  ): Promise<unknown> {
    const { machine, local } = this.link;
    const { openMs } = machine.settings;
    const durations =
      typeof openMs === 'number'
        ? String(finite(openMs))
        : Array.from({ length: 16 }, (_, index) => finite(machine.openDuration(index + 1))).join(
            ',',
          );
    const args = [
      op,
      local.now(),
      this.ttl,
      this.core.channel,
      this.name,
      this.core.id,
      ...this.config,
      durations,
      ...extra,
    ];
    return this.core.run(breakerScript, [this.key], args, late).then((reply) => {
      if (reply !== FAILED && Array.isArray(reply)) {
        // Fewer isolations of this process than it holds, in the same hash: reset elsewhere,
        // so this process's handles release nothing any more.
        const mine = Number(reply[6]);
        if (
          String(reply[1]) === this.id &&
          this.isolating === 0 &&
          op !== 'isolate' &&
          mine < this.isolations
        ) {
          this.isolations = mine;
          this.link.machine.isolationEpoch++;
        }
        this.adopt(reply.slice(1, 6), force);
      }
      return reply;
    });
  }

  /** Moves the machine to the shared state `r` (id, gen, state, halfAt, opens), when it is news. */
  private adopt(r: readonly unknown[], force: boolean): void {
    if (this.disposed) return;
    const id = String(r[0]);
    const gen = Number(r[1]);
    if (!force && this.id !== '' && id !== this.id) {
      // The store lost the breaker: tell it what this process knows, then adopt its answer.
      this.id = id;
      this.gen = gen;
      void this.sync(true);
      return;
    }
    if (!force && id === this.id && gen <= this.gen) return;
    const first = this.id === '';
    this.id = id;
    this.gen = gen;
    const { machine, local } = this.link;
    const now = local.now();
    const halfAt = Number(r[3]);
    machine.tick(now);
    let to = r[2] as CircuitState;
    if (to === 'open' && now >= halfAt) to = 'half_open';
    if (this.isolations > 0) to = 'isolated'; // this process's handles hold it; the store hears of them
    if (machine.state !== to) {
      machine.move(to, now);
    } else if (to === 'half_open') {
      // A newer half-open period: the trials start over.
      machine.generation++;
      machine.trialsRunning = 0;
      machine.trialSuccesses = 0;
    } else if (to === 'closed' && !first) {
      machine.reset(now); // reset elsewhere, or a whole cycle missed: the counts start over
    }
    if (to !== 'isolated') machine.isolations = 0;
    machine.opens = Number(r[4]);
    if (to === 'open') machine.openUntil = halfAt;
    this.link.announce();
  }
}
