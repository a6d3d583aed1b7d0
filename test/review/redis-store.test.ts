import { throwError } from 'rxjs';
import { expect, it } from 'vitest';
import { createRecoveryHub, withRecovery } from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { quorumError } from '../helpers/errors.js';
import { connect, describeRedis, fleetMembers, uniquePrefix, waitFor } from '../redis/helpers.js';

const { cleanup } = fleetMembers();

describeRedis('review: shared state across processes', () => {
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
