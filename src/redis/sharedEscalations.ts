import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import type { EscalationLink, SharedEscalations } from '../fleet/store.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import type { Resolution } from '../strategies/resolution.js';
import { escalationScript } from './scripts.js';
import { FAILED, type Member, type Message, type StoreCore } from './storeCore.js';

/**
 * Shares a hub's waiting escalations through the store: each is listed there (with a TTL
 * the waiting process renews every `syncMs`), every process's list follows the channel and
 * the `syncMs` refresh, and a resolution from any process is claimed atomically (the first
 * wins) and reaches the waiting one over the channel, or at its next refresh.
 */
export function shareEscalations(core: StoreCore, link: EscalationLink): SharedEscalations {
  const member = new EscalationMember(core, link);
  core.add(member);
  return Object.freeze({
    add: (record: EscalationRecord) => member.add(record),
    remove: (id: string) => member.remove(id),
    list: () => member.listed,
    resolve: (id: string, resolution: Resolution<unknown>) => member.resolve(id, resolution),
  });
}

/** The record as JSON, without `context.state` (the caller's own object, never sent). */
function serialise(record: EscalationRecord): string {
  const { state: _state, ...context } = record.context as typeof record.context & {
    state?: unknown | undefined;
  };
  try {
    return JSON.stringify({ ...record, context });
  } catch {
    const { metadata: _metadata, ...rest } = record;
    try {
      return JSON.stringify({ ...rest, context });
    } catch {
      const { id, createdAt, errorType, patternId, message, attempts } = record;
      const { correlationId, workflowId, nodeName } = record.context;
      return JSON.stringify({
        ...{ id, createdAt, errorType, patternId, message, attempts, pending: true },
        context: { correlationId, workflowId, nodeName },
      });
    }
  }
}

function parseRecord(text: unknown): EscalationRecord | undefined {
  try {
    const record = JSON.parse(String(text)) as EscalationRecord;
    if (typeof record?.id !== 'string') return undefined;
    return Object.freeze({ ...record, context: Object.freeze({ ...record.context }) });
  } catch {
    return undefined;
  }
}

/** A resolution as it travels to another process: JSON, with the actions JSON can carry. */
function encode(resolution: Resolution<unknown>): string {
  if (resolution.action === 'source') {
    throw new RecoveryConfigError([
      'resolution.source: cannot reach another process; resolve with value, retry, complete or abort, or from the process that waits',
    ]);
  }
  if (resolution.action === 'value') {
    const kind = typeof resolution.value;
    let text: string | undefined;
    try {
      text = kind === 'function' || kind === 'symbol' ? undefined : JSON.stringify(resolution);
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      throw new RecoveryConfigError([
        `resolution.value: cannot reach another process: JSON cannot carry a ${kind}`,
      ]);
    }
    return text;
  }
  return JSON.stringify(resolution);
}

function decode(text: unknown): Resolution<unknown> | undefined {
  try {
    const resolution = JSON.parse(String(text)) as Record<string, unknown>;
    if (resolution.action === 'value' && !('value' in resolution)) resolution.value = undefined;
    return resolution as Resolution<unknown>;
  } catch {
    return undefined;
  }
}

const byAge = (a: EscalationRecord, b: EscalationRecord) => a.createdAt - b.createdAt;

class EscalationMember implements Member {
  readonly hub: object;
  /** Every waiting escalation, oldest first: this process's and the others'. */
  listed: readonly EscalationRecord[] = Object.freeze([]);
  private readonly index: string;
  private readonly items: string;
  private readonly counter: string;
  private readonly ttl: number;
  /** This process's waiting escalations. */
  private readonly own = new Map<string, EscalationRecord>();
  /** The other processes', as the store last listed them. */
  private others = new Map<string, EscalationRecord>();
  /** Being resolved from here: their resolution is settled by the claim's answer. */
  private readonly resolving = new Set<string>();
  /** Withdrawn while the store was degraded: to remove when it answers again. */
  private readonly withdrawn = new Set<string>();
  /**
   * The store's counter of changes, as of the newest message or listing seen: a listing
   * older than a message already applied (they travel on two connections) is skipped.
   */
  private seq = 0;

  constructor(
    private readonly core: StoreCore,
    private readonly link: EscalationLink,
  ) {
    this.hub = link.hub;
    this.index = `{${core.prefix}:escalations}`;
    this.items = `${this.index}:`;
    this.counter = `${this.index}#seq`;
    this.ttl = Math.max(30_000, 10 * core.syncMs);
  }

  add(record: EscalationRecord): void {
    this.own.set(record.id, record);
    this.relist(false);
    if (this.core.healthy) void this.send('add', record.id, serialise(record), record.createdAt);
  }

  remove(id: string): void {
    if (!this.own.delete(id)) return;
    this.relist(false);
    if (!this.core.healthy) {
      this.withdrawn.add(id);
      return;
    }
    void this.send('remove', id).then((reply) => {
      if (reply === FAILED) this.withdrawn.add(id);
    });
  }

  resolve(id: string, resolution: Resolution<unknown>): Promise<boolean> {
    const { link } = this;
    const mine = this.own.has(id);
    // A resolution for this process stays here; the store only records that it was given.
    const payload = mine ? JSON.stringify({ action: resolution.action }) : encode(resolution);
    if (mine && !this.core.healthy) return Promise.resolve(link.settle(id, resolution));
    if (mine) this.resolving.add(id);
    return this.send('claim', id, payload).then((reply) => {
      this.resolving.delete(id);
      if (reply === FAILED) return mine && link.settle(id, resolution);
      if (Number(reply) !== 1) return false;
      return mine ? link.settle(id, resolution) : true;
    });
  }

  flush(): void {}

  sync(recover: boolean): Promise<boolean> {
    const gone = recover ? [...this.withdrawn] : [];
    const removals = gone.map((id) =>
      this.send('remove', id).then((reply) => {
        if (reply !== FAILED) this.withdrawn.delete(id);
        return reply !== FAILED;
      }),
    );
    const own = [...this.own.keys()];
    const listing = this.core
      .run(
        escalationScript,
        [this.index, this.index, this.counter],
        ['sync', '', this.ttl, '', '', 0, ...own],
      )
      .then((reply) => {
        if (reply === FAILED || !Array.isArray(reply)) return false;
        const [list, statuses, seq] = reply as [unknown[], unknown[], number];
        // Older than a message already applied: skipped (the next listing will do). A
        // counter that went back (the store lost it) is taken as it is.
        const stale = seq < this.seq;
        this.seq = seq;
        if (!stale) {
          this.others = new Map();
          for (let index = 0; index + 1 < list.length; index += 2) {
            const id = String(list[index]);
            const record = this.own.has(id) ? undefined : parseRecord(list[index + 1]);
            if (record !== undefined) this.others.set(id, record);
          }
          this.relist(true);
        }
        for (let index = 0; index + 1 < statuses.length; index += 2) {
          const id = String(statuses[index]);
          const status = statuses[index + 1];
          const record = this.own.get(id);
          if (record === undefined || this.resolving.has(id) || status === 'ok') continue;
          if (status === 'missing') {
            void this.send('add', id, serialise(record), record.createdAt);
          } else {
            this.settleHere(id, status);
          }
        }
        return true;
      });
    return Promise.all([listing, ...removals]).then((answers) => answers.every(Boolean));
  }

  message(message: Message): void {
    if (message.k !== 'e' || typeof message.id !== 'string') return;
    const { id } = message;
    if (typeof message.q === 'number' && message.q > this.seq) this.seq = message.q;
    if (message.o === 'add') {
      const record = this.own.has(id) ? undefined : parseRecord(message.r);
      if (record === undefined) return;
      this.others.set(id, record);
      this.relist(true);
    } else {
      if (this.others.delete(id)) this.relist(true);
      if (message.o === 'res' && this.own.has(id) && !this.resolving.has(id)) {
        this.settleHere(id, message.s);
      }
    }
  }

  close(): Promise<unknown> {
    return Promise.all([...this.own.keys()].map((id) => this.send('remove', id)));
  }

  /** A resolution given in another process, for an escalation that waits here. */
  private settleHere(id: string, text: unknown): void {
    const resolution = decode(text);
    if (resolution !== undefined) this.link.settle(id, resolution);
  }

  /** Rebuilds the list; `tell`: it changed from the store's side, so the hub must hear. */
  private relist(tell: boolean): void {
    const next = Object.freeze([...this.own.values(), ...this.others.values()].sort(byAge));
    const same =
      next.length === this.listed.length &&
      next.every((record, index) => record.id === this.listed[index]?.id);
    this.listed = next;
    if (tell && !same) this.link.changed();
  }

  private send(op: string, id: string, payload = '', score = 0): Promise<unknown> {
    const keys = [this.index, `${this.items}${id}`, this.counter];
    return this.core.run(escalationScript, keys, [
      op,
      this.core.channel,
      this.ttl,
      id,
      payload,
      score,
    ]);
  }
}
