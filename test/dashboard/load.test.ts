import { performance } from 'node:perf_hooks';
import { count, defer, lastValueFrom, mergeMap, of, range, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { serveDashboard } from '../../src/dashboard.js';
import { createRecoveryHub, withRecovery } from '../../src/index.js';
import { timeoutError } from '../helpers/errors.js';
import { at, countingHub, openStream, within } from './helpers.js';

const PAGES = 50;
const RECOVERIES = 10_000;
const UPDATE_MS = 100;

describe('serveDashboard under load (127.0.0.1 only, bounded loops)', () => {
  it(`keeps ${PAGES} open pages up to date while a pipeline recovers ${RECOVERIES} errors`, async () => {
    const real = createRecoveryHub({ name: 'load' });
    const { hub, open } = countingHub(real);
    const dashboard = await serveDashboard(hub, { updateMs: UPDATE_MS });
    const url = `${at(dashboard.url, '/events')}?token=${dashboard.token}`;
    const pages = await Promise.all(Array.from({ length: PAGES }, () => openStream(url)));
    await Promise.all(pages.map((page) => page.next((u) => u.full, 'a whole picture')));
    expect(dashboard.pages).toBe(PAGES);
    // One subscription each to signals and escalations, however many pages.
    expect(open()).toBe(2);

    let signals = 0;
    real.signals.subscribe(() => {
      signals += 1;
    });
    const started = performance.now();
    // Each item fails once with a timeout, is retried at once, and succeeds.
    const recovered = await lastValueFrom(
      range(0, RECOVERIES).pipe(
        mergeMap((item) => {
          let calls = 0;
          return defer(() => (calls++ === 0 ? throwError(() => timeoutError) : of(item))).pipe(
            withRecovery<number>(undefined, { hub: real, retry: { baseDelayMs: 0 } }),
          );
        }, 100),
        count(),
      ),
    );
    expect(recovered).toBe(RECOVERIES);
    expect(real.snapshot()).toMatchObject({ totalRecoveries: RECOVERIES, successful: RECOVERIES });

    // Every page receives the final statistics.
    await within(
      Promise.all(
        pages.map((page) =>
          page.next(
            (u) => u.statistics?.totalRecoveries === RECOVERIES,
            'the final statistics',
            15_000,
          ),
        ),
      ),
      20_000,
      'every page has the final statistics',
    );
    const elapsed = performance.now() - started;
    // Coalesced: a page gets at most one update per updateMs (plus the first picture and
    // the last flush), whatever the number of signals.
    expect(signals).toBe(3 * RECOVERIES);
    for (const page of pages) {
      expect(page.updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / UPDATE_MS) + 2);
      expect(page.updates.length).toBeLessThan(signals / 10);
    }
    // The rate chart counted every recovery.
    const last = pages[0]?.updates.filter((u) => u.rate !== undefined).at(-1);
    expect(last?.rate?.recovered.reduce((a, b) => a + b, 0)).toBe(RECOVERIES);

    for (const page of pages) page.close();
    await dashboard.close();
    expect(open()).toBe(0);
  }, 60_000);
});
