import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { defer, throwError } from 'rxjs';
import { expect, it } from 'vitest';
import { type DashboardUpdate, serveDashboard } from '../../src/dashboard.js';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import {
  type CircuitBreaker,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
} from '../../src/index.js';
import { at, openStream, within } from '../dashboard/helpers.js';
import { describeRedis, fleetMembers, redisPort, uniquePrefix } from './helpers.js';

/**
 * The dashboard of a fleet sharing a real redis-server: another store (another process)
 * trips a shared breaker and counts on a shared budget; the page — fed by the viewer's
 * `store.watchFleet()`, or by `rx-recovery dashboard --redis` — shows both.
 */
const { cleanup, member: fleetMember } = fleetMembers();
const member = (prefix: string) => fleetMember(prefix).store;

/** Another process's shared breaker and budget under `prefix`: 10 requests counted, then 3 failures open it. */
async function fleetThatTrips(prefix: string) {
  const store = member(prefix);
  const breaker = createCircuitBreaker({
    name: 'model-api',
    trip: { consecutive: 3 },
    openMs: 600_000,
    store,
  });
  const budget = createRetryBudget({ name: 'model-api', ratio: 0.1, ttlMs: 10_000, store });
  for (let n = 0; n < 10; n++) budgetProtocolOf(budget)?.deposit();
  expect(await store.sync()).toBe(true);
  return {
    store,
    budget,
    trip: async () => {
      for (let n = 0; n < 3; n++) await fail(breaker);
      expect(breaker.state).toBe('open');
      expect(await store.sync()).toBe(true);
    },
  };
}

function fail(breaker: CircuitBreaker): Promise<void> {
  return new Promise((resolve) => {
    defer(() => throwError(() => new Error('HTTP 503 Service Unavailable')))
      .pipe(circuitBreaker(breaker))
      .subscribe({ error: () => resolve() });
  });
}

describeRedis('the dashboard of a fleet sharing Redis', () => {
  it("shows another process's shared breaker opening, and its budget, on the page's stream", async () => {
    const prefix = uniquePrefix();
    const other = await fleetThatTrips(prefix);
    const fleet = member(prefix).watchFleet();
    const dashboard = await serveDashboard(createRecoveryHub({ name: 'ops' }), {
      fleet,
      updateMs: 20,
    });
    cleanup.push(() => dashboard.close());
    const stream = await openStream(`${at(dashboard.url, '/events')}?token=${dashboard.token}`);
    cleanup.push(() => stream.close());
    await stream.next(
      (u) => u.breakers?.some((b) => b.name === 'model-api' && b.shared === true) === true,
      'the shared breaker, closed',
    );

    await other.trip();
    const update = await stream.next(
      (u) => u.breakers?.find((b) => b.name === 'model-api')?.state === 'open',
      'the shared breaker, open',
    );
    const shown = update.breakers?.find((b) => b.name === 'model-api');
    expect(shown).toMatchObject({
      state: 'open',
      shared: true,
      transitions: [{ from: 'closed', to: 'open' }],
    });
    // Its counters come with a read (at once when the channel is faster than the read).
    const counted = await stream.next(
      (u) => u.breakers?.find((b) => b.name === 'model-api')?.failures === 3,
      'the fleet counters',
    );
    expect(counted.breakers?.find((b) => b.name === 'model-api')).toMatchObject({
      opens: 1,
      calls: 3,
      failures: 3,
      consecutiveFailures: 3,
    });
    const state = (await (
      await fetch(at(dashboard.url, '/api/state'), {
        headers: { authorization: `Bearer ${dashboard.token}` },
      })
    ).json()) as DashboardUpdate;
    const { withdrawals } = other.budget.snapshot();
    // ⌊0.1 × 10 + 10 × 10 s⌋ − what was lent.
    expect(state.budgets).toEqual([
      {
        name: 'model-api',
        shared: true,
        deposits: 10,
        withdrawals,
        balance: 101 - withdrawals,
        exhausted: 0,
      },
    ]);
  });

  it('rx-recovery dashboard --redis URL --prefix P serves the fleet, and stops cleanly', async () => {
    const prefix = uniquePrefix();
    const other = await fleetThatTrips(prefix);
    await other.trip();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const url = `redis://127.0.0.1:${redisPort}`;
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', 'dashboard', '--redis', url, '--prefix', prefix],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const link = new Promise<string>((resolve) => {
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
        const match = /^rx-recovery dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)$/m.exec(
          stdout,
        );
        if (match?.[1] !== undefined) resolve(match[1]);
      });
    });
    const page = await within(link, 30_000, `the link on stdout (stderr: ${stderr})`);
    expect(stdout).toContain(
      `the fleet's shared breakers, budgets and waiting escalations: ${url}, prefix ${prefix}.`,
    );
    const token = new URL(page).searchParams.get('token');
    // The page's stream shows what the dashboard has read of the fleet, as it reads it.
    const stream = await openStream(`${at(page, '/events')}?token=${token}`);
    cleanup.push(() => stream.close());
    await stream.next(
      (u) => u.breakers?.some((b) => b.name === 'model-api') === true,
      'the shared breaker on the page',
      10_000,
    );
    stream.close(); // no page open when it stops
    const state = (await (
      await fetch(at(page, '/api/state'), { headers: { authorization: `Bearer ${token}` } })
    ).json()) as DashboardUpdate;
    expect(state?.hub).toBe('fleet');
    expect(state?.breakers).toEqual([
      expect.objectContaining({ name: 'model-api', state: 'open', shared: true, failures: 3 }),
    ]);
    expect(state?.budgets).toEqual([
      expect.objectContaining({ name: 'model-api', shared: true, deposits: 10 }),
    ]);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = await within(exited, 10_000, 'the dashboard exits on SIGINT');
    expect(code).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);
});
