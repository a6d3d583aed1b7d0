import { fromEvent } from 'rxjs';
import { afterAll, expect, it } from 'vitest';
import { describeRedis, redisPort, uniquePrefix, waitFor } from './helpers.js';
import { Worker } from './workers.js';

let worker: Worker | undefined;
afterAll(() => worker?.kill());

describeRedis('store.close()', () => {
  it('leaves no timer, subscription or socket: the process exits on its own', async () => {
    worker = await Worker.start();
    await worker.request('init', {
      port: redisPort,
      prefix: uniquePrefix(),
      syncMs: 100,
      flushMs: 10,
      breaker: { trip: { consecutive: 2 } },
      budget: {},
    });
    // Work on every object: calls, retries, an escalation left waiting.
    await worker.request('calls', { outcome: 'fail', n: 1 });
    await worker.request('retries', { deposits: 5, attempts: 3 });
    await worker.request('escalate');
    const state = await worker.request<{ healthy: boolean }>('state');
    expect(state.healthy).toBe(true);
    const { unhandled } = await worker.request<{ unhandled: string[] }>('close');
    expect(unhandled).toEqual([]);
    // Nothing of the store keeps the event loop alive: the process ends by itself.
    expect(await worker.exit(5000)).toBe(0);
    await waitFor(() => worker?.child.exitCode === 0, { on: fromEvent(worker.child, 'exit') });
  }, 30_000);
});
