import type { Redis } from 'ioredis';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createCircuitBreaker,
  createRecoveryHub,
  type RecoveryHub,
  type RecoveryHubOptions,
  withRecovery,
} from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis.js';

/**
 * Type tests, checked by `tsc` (`npm run typecheck` covers test/): the functions below are
 * compiled, never called. (In a .test.ts rather than a .test-d.ts so that running the
 * Redis suites does not switch vitest to its type-checking mode for the whole project.)
 */
describe('types of a hub with a store', () => {
  it('answers resolveEscalation with a Promise<boolean>; without a store, a boolean', () => {
    const types = (client: Redis) => {
      const store = createRedisStore({ client });
      expectTypeOf(store).toEqualTypeOf<RedisStore>();
      expectTypeOf(
        createRecoveryHub({ store }).resolveEscalation('id', { action: 'retry' }),
      ).toEqualTypeOf<Promise<boolean>>();
      expectTypeOf(
        createRecoveryHub().resolveEscalation('id', { action: 'retry' }),
      ).toEqualTypeOf<boolean>();
      expectTypeOf(
        createRecoveryHub({ name: 'x' }).resolveEscalation('id', { action: 'retry' }),
      ).toEqualTypeOf<boolean>();
      const options: RecoveryHubOptions = {};
      expectTypeOf(
        createRecoveryHub(options).resolveEscalation('id', { action: 'retry' }),
      ).toEqualTypeOf<boolean | Promise<boolean>>();
    };
    expect(typeof types).toBe('function');
  });

  it('is a hub wherever a hub is taken, and refuses what is not a store', () => {
    const types = (client: Redis) => {
      const store = createRedisStore({ client });
      const hub = createRecoveryHub({ store });
      expectTypeOf(hub).toMatchTypeOf<RecoveryHub>();
      withRecovery(undefined, { hub });
      createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store, hub });
      // @ts-expect-error: a store comes from createRedisStore
      createRecoveryHub({ store: {} });
      // @ts-expect-error: the client is an ioredis client
      createRedisStore({ client: {} });
    };
    expect(typeof types).toBe('function');
  });
});
