import { createHook } from 'node:async_hooks';
import { Cluster, Redis } from 'ioredis';
import { filter, firstValueFrom, fromEvent, type Observable, throwError, timeout } from 'rxjs';
import { uniquePrefix } from '../helpers.js';
import type { RedisCluster } from './server.js';

/** How long an awaited event or condition may take before the test fails, saying what. */
export const LIMIT_MS = 5000;

/**
 * An ioredis `Cluster` client for a test, seeded with the first master only (it learns the
 * others from CLUSTER SLOTS): quiet about connection errors, one retry per request. Its
 * node connections wait at most 100 ms for a closed socket (`disconnectTimeout`, 2 s by
 * default): ioredis arms that timer even for a connection to a dead master that was
 * refused and is gone already, and the suite waits for every timer to end.
 */
export function connectCluster(cluster: RedisCluster): Cluster {
  const seed = cluster.masters[0];
  if (seed === undefined) throw new Error('a cluster without masters');
  const client = new Cluster([{ host: '127.0.0.1', port: seed.port }], {
    redisOptions: { maxRetriesPerRequest: 1, disconnectTimeout: 100 },
  });
  client.on('error', () => {});
  return client;
}

/** Resolves once `client` is ready (it has read the slots), at once when it is already. */
export async function ready(client: Cluster): Promise<void> {
  if (client.status !== 'ready') {
    await next(fromEvent(client, 'ready'), () => true, 'the client ready');
  }
}

/**
 * Runs `use` on a plain (non-cluster) connection to one node, opened for it and closed
 * after it — closed for good (its socket gone) before this resolves, so that it leaves
 * no handle behind.
 */
export async function onNode<T>(port: number, use: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  node.on('error', () => {});
  const ended = new Promise((resolve) => node.once('end', resolve));
  try {
    await node.connect();
    return await use(node);
  } finally {
    node.disconnect();
    await ended;
  }
}

/** One line of CLUSTER NODES. */
export interface NodeLine {
  readonly port: number;
  readonly flags: readonly string[];
  readonly link: string;
  /** Slot ranges, as `from-to`. */
  readonly slots: readonly string[];
}

/** CLUSTER NODES as one node sees the cluster, ordered by the first slot each serves. */
export async function clusterNodes(port: number): Promise<NodeLine[]> {
  const text = String(await onNode(port, (node) => node.call('CLUSTER', 'NODES')));
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [, address = '', flags = '', , , , , link = '', ...slots] = line.split(' ');
      const port = Number(address.split('@')[0]?.split(':')[1]);
      return { port, flags: flags.split(','), link, slots };
    })
    .sort((a, b) => Number(a.slots[0]?.split('-')[0]) - Number(b.slots[0]?.split('-')[0]));
}

/**
 * Where keys live in `cluster`: the master of a key (CLUSTER KEYSLOT, then the slot ranges
 * of CLUSTER NODES), names and prefixes chosen to land on a given master, and the keys a
 * master holds itself (a SCAN on that node alone).
 */
export class Placement {
  private constructor(
    private readonly cluster: RedisCluster,
    private readonly ranges: ReadonlyMap<number, readonly (readonly [number, number])[]>,
  ) {}

  static async of(cluster: RedisCluster): Promise<Placement> {
    const seed = cluster.masters[0]?.port ?? 0;
    const ranges = new Map<number, [number, number][]>();
    for (const { port, slots } of await clusterNodes(seed)) {
      ranges.set(
        port,
        slots.map((range) => {
          const [from = '', to = from] = range.split('-');
          return [Number(from), Number(to)];
        }),
      );
    }
    return new Placement(cluster, ranges);
  }

  /** The index in `cluster.masters` of the master that serves `key`. */
  async masterOf(key: string): Promise<number> {
    const seed = this.cluster.masters[0]?.port ?? 0;
    const slot = Number(await onNode(seed, (node) => node.call('CLUSTER', 'KEYSLOT', key)));
    const index = this.cluster.masters.findIndex(({ port }) =>
      this.ranges.get(port)?.some(([from, to]) => slot >= from && slot <= to),
    );
    if (index < 0) throw new Error(`no master serves slot ${slot} (${key})`);
    return index;
  }

  /** `base`, or `base-1`, `base-2` …: the first name whose `key(name)` master is `master`. */
  async nameOn(master: number, base: string, key: (name: string) => string): Promise<string> {
    for (let n = 0; n < 100; n++) {
      const name = n === 0 ? base : `${base}-${n}`;
      if ((await this.masterOf(key(name))) === master) return name;
    }
    throw new Error(`no name like ${base} lands on master ${master}`);
  }

  /** A fresh prefix whose `key(prefix)` lives on `master`. */
  async prefixOn(master: number, key: (prefix: string) => string): Promise<string> {
    for (let n = 0; n < 100; n++) {
      const prefix = uniquePrefix();
      if ((await this.masterOf(key(prefix))) === master) return prefix;
    }
    throw new Error(`no prefix lands on master ${master}`);
  }

  /** The keys under `prefix` that master `master` holds itself, sorted. */
  keysOn(master: number, prefix: string): Promise<string[]> {
    const port = this.cluster.masters[master]?.port ?? 0;
    return onNode(port, async (node) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
      return keys.sort();
    });
  }

  /** The keys under `prefix` on every master, master by master. */
  keysByMaster(prefix: string): Promise<string[][]> {
    return Promise.all(this.cluster.masters.map((_, master) => this.keysOn(master, prefix)));
  }

  /**
   * Subscribers of `channel` in the whole cluster: PUBSUB NUMSUB counts a node's own, so
   * the sum over the masters (a subscriber connects to any of them).
   */
  async subscribers(channel: string): Promise<number> {
    const counts = await Promise.all(
      this.cluster.masters.map(({ port }) =>
        onNode(port, async (node) => Number((await node.pubsub('NUMSUB', channel))[1])),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }
}

/**
 * The first value of `source$` that satisfies `predicate`: an event awaited, failing with
 * `what` after {@link LIMIT_MS}.
 */
export function next<T>(
  source$: Observable<T>,
  predicate: (value: T) => boolean,
  what: string,
  limitMs = LIMIT_MS,
): Promise<T> {
  return firstValueFrom(
    source$.pipe(
      filter(predicate),
      timeout({
        first: limitMs,
        with: () => throwError(() => new Error(`${what} did not happen within ${limitMs} ms`)),
      }),
    ),
  );
}

/**
 * Asks `condition` again until it holds, at most `limitMs`: for what no event announces
 * (another connection's SUBSCRIBE, a socket the runtime has not closed yet). Each turn
 * awaits the condition (a command, when it sends one) and yields to the event loop
 * (`setImmediate`): a bounded loop, never a pause on the wall clock.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  limitMs = LIMIT_MS,
): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > limitMs) {
      const said = typeof what === 'string' ? what : what();
      throw new Error(`${said} did not hold within ${limitMs} ms`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What {@link trackHandles} follows: timers and sockets, the handles that keep a process alive. */
const TRACKED: ReadonlySet<string> = new Set(['Timeout', 'TCPWRAP', 'TCPCONNECTWRAP']);

/**
 * Follows every timer and socket made from now on until it ends (async_hooks), with where
 * it was made — but the test runner's own (vitest's test timeouts and its throttled
 * reports, whose maker is vitest): what a test made and left behind is what `left()`
 * lists.
 */
export function trackHandles(): { left(): string[]; stop(): void } {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (!TRACKED.has(type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 20;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      // The frames after this hook and Node's own: the maker first.
      const frames = stack
        .split('\n')
        .slice(2)
        .map((frame) => frame.trim())
        .filter((frame) => !frame.includes('(node:') && !frame.startsWith('at node:'));
      if (/[/\\]@?vitest[/\\]/.test(frames[0] ?? '')) return;
      live.set(id, `${type} ${frames.slice(0, 3).join(' ← ')}`);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { left: () => [...live.values()], stop: () => hook.disable() };
}
