import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRedis, redisPort, uniquePrefix, waitFor } from './helpers.js';
import { startWorkers, type Worker } from './workers.js';

/**
 * A fleet of real processes (test/redis/child/worker.ts), each with its own ioredis
 * client and store, sharing one breaker, one budget and one hub's escalations through
 * the global setup's redis-server.
 */
let workers: Worker[] = [];

beforeAll(async () => {
  if (redisPort !== 0) workers = await startWorkers(4);
}, 60_000);

afterAll(() => {
  for (const worker of workers) worker.kill();
});

const SYNC_MS = 1000;

async function fleet(n: number, init: Record<string, unknown>): Promise<Worker[]> {
  const prefix = uniquePrefix();
  const chosen = workers.slice(0, n);
  await Promise.all(
    chosen.map((worker) =>
      worker.request('init', { port: redisPort, prefix, syncMs: SYNC_MS, flushMs: 50, ...init }),
    ),
  );
  return chosen;
}

interface State {
  state?: string;
  signals: string[];
  unhandled: string[];
  healthy?: boolean;
  budget?: { deposits: number; withdrawals: number; balance: number };
}

describeRedis('a fleet of processes', () => {
  it("process A's failures open the breaker, and process B's next call is refused within syncMs", async () => {
    const [a, b] = (await fleet(2, {
      breaker: { trip: { consecutive: 3 }, openMs: 60_000 },
    })) as [Worker, Worker];
    expect(await b.request('calls', { outcome: 'ok', n: 1 })).toEqual(['ok']);
    expect(await a.request('calls', { outcome: 'fail', n: 3 })).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    const elapsed = await waitFor(
      async () => (await b.request<string[]>('calls', { outcome: 'ok', n: 1 }))[0] === 'refused',
      { on: b.events$, timeoutMs: SYNC_MS, what: "B's call refused" },
    );
    expect(elapsed).toBeLessThan(SYNC_MS);
    const { signals } = await b.request<State>('state');
    expect(signals).toContain('circuit_state_changed');
  });

  it('runs exactly halfOpenCalls trial calls across all processes', async () => {
    const fleetOf3 = await fleet(3, {
      breaker: { trip: { consecutive: 1 }, openMs: 30_000, halfOpenCalls: 2 },
    });
    const [a] = fleetOf3 as [Worker];
    await a.request('calls', { outcome: 'fail', n: 1 });
    for (const worker of fleetOf3) {
      await waitFor(async () => (await worker.request<State>('state')).state === 'open', {
        on: worker.events$,
      });
    }
    await Promise.all(fleetOf3.map((worker) => worker.request('advance', { ms: 30_000 })));
    // Each process tries 4 trial calls at once, all held open.
    const admitted = await Promise.all(
      fleetOf3.map((worker) => worker.request<number>('hold', { n: 4 })),
    );
    expect(admitted.reduce((sum, n) => sum + n, 0)).toBe(2);
    await Promise.all(fleetOf3.map((worker) => worker.request('finish', { outcome: 'ok' })));
    for (const worker of fleetOf3) {
      await waitFor(async () => (await worker.request<State>('state')).state === 'closed', {
        on: worker.events$,
        timeoutMs: SYNC_MS * 2,
      });
    }
  });

  it("holds a budget shared by 4 processes to the fleet's bound", async () => {
    const fleetOf4 = await fleet(4, { budget: { ratio: 0.2, minPerSecond: 1, ttlMs: 10_000 } });
    // Each process: 25 requests, then 60 retries in 12 rounds of 5, every process at once,
    // each round ending with each process's exchange with Redis (its flush), so that their
    // exchanges interleave. The fleet may pay ⌊0.2 × 100 + 1 × 10⌋ = 30; four budgets of
    // their own would pay 4 × (5 + 10) = 60.
    let total = 0;
    for (let round = 0; round < 12; round++) {
      const paid = await Promise.all(
        fleetOf4.map((worker) =>
          worker.request<number>('retries', { deposits: round === 0 ? 25 : 0, attempts: 5 }),
        ),
      );
      total += paid.reduce((sum, n) => sum + n, 0);
    }
    expect(total).toBeLessThanOrEqual(30);
    expect(total).toBeGreaterThanOrEqual(24); // tokens lent and not yet spent are the gap
    await Promise.all(fleetOf4.map((worker) => worker.request('sync')));
    const { budget } = await (fleetOf4[0] as Worker).request<State>('state');
    expect(budget?.deposits).toBe(100);
    expect(budget?.withdrawals).toBeLessThanOrEqual(30);
  });

  it("a resolution given in process B resumes process A's paused stream", async () => {
    const [a, b] = (await fleet(2, {})) as [Worker, Worker];
    const id = await a.request<string>('escalate');
    expect(typeof id).toBe('string');
    await waitFor(async () => (await b.request<string[]>('pending')).includes(id), {
      on: b.events$,
      timeoutMs: SYNC_MS * 2,
      what: "B lists A's escalation",
    });
    expect(
      await b.request('resolve', { id, resolution: { action: 'value', value: 'approved' } }),
    ).toBe(true);
    await waitFor(() => a.events.some((event) => event.event === 'complete'), {
      on: a.events$,
      what: "A's stream completes",
    });
    expect(a.events.filter((event) => event.event === 'value')).toEqual([
      { event: 'value', value: 'approved' },
    ]);
    // Refused: nobody waits on it any more.
    expect(await b.request('resolve', { id, resolution: { action: 'complete' } })).toBe(false);
    await waitFor(async () => (await b.request<string[]>('pending')).length === 0, {
      on: b.events$,
    });
    for (const worker of [a, b])
      expect((await worker.request<State>('state')).unhandled).toEqual([]);
  });
});
