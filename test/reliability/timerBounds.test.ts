import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { serveDashboard } from '../../src/dashboard.js';
import {
  createRecoveryHub,
  ErrorRecoveryOrchestrator,
  hedge,
  injectFaults,
  retryBackoff,
  withRecovery,
} from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { issuesOf } from '../helpers/capture.js';

/**
 * Every option that becomes a timer's delay is bounded by what a JavaScript timer can
 * hold: Node and browsers fire a longer one after 1 ms (a 25-day hedge delay would hedge
 * at once). Above the bound the option is refused, naming its path; at the bound it is
 * accepted.
 */
const LONGEST = 2 ** 31 - 1;

const bounded: ReadonlyArray<readonly [path: string, build: (ms: number) => unknown]> = [
  ['options.baseDelayMs', (ms) => retryBackoff({ baseDelayMs: ms, maxDelayMs: LONGEST })],
  ['options.maxDelayMs', (ms) => retryBackoff({ maxDelayMs: ms })],
  ['options.maxDictatedDelayMs', (ms) => retryBackoff({ maxDictatedDelayMs: ms })],
  [
    'options.retry.baseDelayMs',
    (ms) => withRecovery(undefined, { retry: { baseDelayMs: ms, maxDelayMs: LONGEST } }),
  ],
  ['options.attemptTimeoutMs', (ms) => withRecovery(undefined, { attemptTimeoutMs: ms })],
  ['options.deadlineMs', (ms) => withRecovery(undefined, { deadlineMs: ms })],
  [
    'options.escalation.await.timeoutMs',
    (ms) =>
      withRecovery(undefined, {
        hub: createRecoveryHub(),
        escalation: { await: { timeoutMs: ms } },
      }),
  ],
  [
    'options.deadlineMs',
    (ms) => new ErrorRecoveryOrchestrator({ deadlineMs: ms, builtInCorrections: false }),
  ],
  ['options.delayMs', (ms) => hedge({ delayMs: ms })],
  ['options.delayMs', (ms) => injectFaults({ rate: 1, delayMs: ms })],
];

describe('options that become timers: at most 2^31 − 1 ms', () => {
  it.each(bounded.map(([path, build], index) => [index, path, build] as const))(
    '#%i %s: refused above, accepted at the bound',
    (_, path, build) => {
      expect(issuesOf(() => build(LONGEST + 1))).toEqual([`${path}: must be ≤ ${LONGEST}`]);
      expect(issuesOf(() => build(LONGEST))).toEqual([]);
    },
  );

  it("the Redis store's syncMs, flushMs and timeoutMs (refused before the client is used)", () => {
    const client = new Redis({ lazyConnect: true });
    try {
      expect(
        issuesOf(() =>
          createRedisStore({
            client,
            syncMs: LONGEST + 1,
            flushMs: LONGEST + 1,
            timeoutMs: LONGEST + 1,
          }),
        ),
      ).toEqual([
        `options.syncMs: must be ≤ ${LONGEST}`,
        `options.flushMs: must be ≤ ${LONGEST}`,
        `options.timeoutMs: must be ≤ ${LONGEST}`,
      ]);
      expect(client.status).toBe('wait'); // never connected
    } finally {
      client.disconnect();
    }
  });

  it("the dashboard's updateMs", async () => {
    await expect(
      serveDashboard(createRecoveryHub(), { updateMs: LONGEST + 1 }),
    ).rejects.toMatchObject({
      issues: [`options.updateMs: must be ≤ ${LONGEST}`],
    });
  });
});
