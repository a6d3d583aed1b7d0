import { asyncScheduler } from 'rxjs';
import { expect, it } from 'vitest';
import { watchFleet } from '../../src/redis/fleetView.js';
import type { StoreCore } from '../../src/redis/storeCore.js';

/**
 * A cluster's masters, faked at the one seam the view reads them through (`core.redis`:
 * `isCluster`, `nodes('master')`, each node's `scan`): no Redis Cluster runs in the tests.
 * Each master answers its whole key list in one SCAN step; every hash reads as a closed
 * breaker's.
 */
function clusterCore(
  masters: Record<string, readonly string[]>,
  { keyPrefix = '', patterns = [] as unknown[], reads = [] as string[] } = {},
): StoreCore {
  const nodes = Object.entries(masters).map(([host, keys]) => ({
    options: { host, port: 6379 },
    scan: async (_cursor: string, _match: string, pattern: unknown) => {
      patterns.push(pattern);
      return ['0', [...keys]];
    },
  }));
  const redis = {
    isCluster: true,
    nodes: () => nodes,
    hgetall: async (key: string) => {
      reads.push(key);
      return { id: 'x', gen: '0', state: 'closed', win: '{}' };
    },
  };
  return {
    prefix: 'p',
    keyPrefix,
    closed: false,
    lastError: undefined,
    scheduler: asyncScheduler,
    redis,
    add: () => {},
    remove: () => {},
    read: async (run: (client: unknown) => Promise<unknown>) => ({
      ok: true,
      reply: await run(redis),
    }),
  } as unknown as StoreCore;
}

const keys = ['x', 'y', 'z'].map((name) => `{p:breaker:${name}}`);

it('says truncated when any master left names out, whichever master finished last', async () => {
  expect((await watchFleet(clusterCore({ a: keys }), 2).read()).truncated).toBe(true);
  // b finishes after a, leaving nothing out: a's names are still missing from the view.
  const report = await watchFleet(clusterCore({ a: keys, b: [] }), 2).read();
  expect(report.breakers).toHaveLength(2);
  expect(report.truncated).toBe(true);
  expect((await watchFleet(clusterCore({ a: keys.slice(0, 2), b: [] }), 2).read()).truncated).toBe(
    false,
  );
});

// ioredis puts a Cluster's keyPrefix (`new Cluster(nodes, { keyPrefix })`) before the keys
// of HGETALL, not before a SCAN pattern nor the keys SCAN answers.
it("walks and reads a keyPrefix client's keys, the hash tag inside braces", async () => {
  const patterns: unknown[] = [];
  const reads: string[] = [];
  const core = clusterCore(
    { a: ['app:{p:breaker:x}', 'app:{p:budget:y}'], b: ['app:{p:breaker:z}', '{p:breaker:w}'] },
    { keyPrefix: 'app:', patterns, reads },
  );
  const report = await watchFleet(core, 10).read();
  expect(patterns).toEqual(['app:{p:b*}', 'app:{p:b*}']);
  expect(report.breakers.map(({ name }) => name)).toEqual(['x', 'z']);
  expect(reads.sort()).toEqual(['{p:breaker:x}', '{p:breaker:z}', '{p:budget:y}']);
});
