import { throwError } from 'rxjs';
import { expect, it } from 'vitest';
import { createCircuitBreaker, createRecoveryHub, withRecovery } from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { quorumError } from '../helpers/errors.js';
import { connect, describeRedis, fleetMembers, uniquePrefix, waitFor } from '../redis/helpers.js';

const { cleanup, member } = fleetMembers();

describeRedis('review: shared state across processes', () => {
  // DESIGN: "Keys expire: nothing grows without bound." The breaker's hash gets one
  // `i:<store id>` field per process that ever isolated (or resynchronised), and keeps it
  // after the process released its handle and closed its store: while any process keeps
  // the key alive, the hash grows with every process that ever came and went.
  it('a released isolation of a closed store leaves nothing in the breaker hash', async () => {
    const prefix = uniquePrefix();
    const observer = connect();
    cleanup.push(() => observer.quit());
    const key = `{${prefix}:breaker:api}`;
    const isolationFields = async () =>
      (await observer.hkeys(key)).filter((field) => field.startsWith('i:'));
    // One long-lived process keeps the key alive.
    const { store: keeper } = member(prefix);
    createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store: keeper });
    await keeper.sync();
    for (let n = 0; n < 20; n++) {
      const { store } = member(prefix);
      const breaker = createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store });
      await store.sync();
      breaker.isolate().release();
      await store.sync();
      await store.close();
    }
    await keeper.sync();
    expect(await observer.hget(key, 'state')).toBe('closed');
    expect(await isolationFields()).toEqual([]); // today: 20 fields `i:<id>` = 0
  });

  // A client made with ioredis's `keyPrefix` (an ioredis client like any other): the
  // escalation script's `sync` reads item keys built from ARGV (`prefix .. id`), which
  // ioredis does not prefix: every sync finds no item, drops the index entries (and the
  // waiting process re-adds its own, as `missing`): the other process's
  // pendingEscalations() is empty after each of its syncs.
  it('with a keyPrefix client, another process keeps listing a waiting escalation', async () => {
    const prefix = uniquePrefix();
    const store = () => {
      const client = connect(undefined, { keyPrefix: 'app:' });
      const made = createRedisStore({ client, prefix, flushMs: 20, syncMs: 200 });
      cleanup.push(
        () => made.close(),
        () => client.quit(),
      );
      return made;
    };
    const hereStore = store();
    const thereStore = store();
    const here = createRecoveryHub({ store: hereStore });
    const there = createRecoveryHub({ store: thereStore });
    throwError(() => quorumError)
      .pipe(
        withRecovery<string>(undefined, { hub: here, maxAttempts: 0, escalation: { await: true } }),
      )
      .subscribe();
    await waitFor(() => there.pendingEscalations().length === 1, { on: there.escalations$ });
    // The escalation still waits: the other process's refresh must go on listing it.
    expect(await thereStore.sync()).toBe(true);
    expect(there.pendingEscalations()).toHaveLength(1); // today: 0
    expect(here.pendingEscalations()).toHaveLength(1);
  });
});
