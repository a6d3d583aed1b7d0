import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  lastValueFrom,
  type SchedulerLike,
  Subject,
  throwError,
  VirtualAction,
  VirtualTimeScheduler,
} from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoScene } from '../../cli/dashboard.js';
import { type DashboardServer, serveDashboard } from '../../src/dashboard.js';
import { createCircuitBreaker } from '../../src/fleet/circuitBreaker.js';
import { createRetryBudget } from '../../src/fleet/retryBudget.js';
import { createRecoveryHub } from '../../src/index.js';
import { circuitBreaker } from '../../src/operators/circuitBreaker.js';
import type { FleetBreaker, FleetBreakerChange, FleetReport } from '../../src/redis.js';
import { at, recoverOnce, reviewThatWaits, waitingEscalations, within } from './helpers.js';

// Debian's chromium, driven by playwright-core; no browser is ever downloaded. In CI
// (CI set) a missing binary fails the run: .ci/run installs it.
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && !process.env.CI) {
  console.warn(
    `dashboard browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`,
  );
}
const screenshot = process.env.DASHBOARD_SCREENSHOT === '1';
const WAIT = { timeout: 10_000 };

describe.skipIf(!present && !process.env.CI)('the dashboard in a real browser (chromium)', () => {
  let browser: Browser;
  const open: DashboardServer[] = [];
  /** Script errors and console errors (a CSP refusal shows there) of every page. */
  const problems: string[] = [];
  const pages: Page[] = [];

  // When a test fails, say what each of its pages showed: what a CI log needs.
  afterEach(async (context) => {
    const failed = context.task.result?.state === 'fail';
    for (const page of pages.splice(0)) {
      if (!failed || page.isClosed()) continue;
      const text = await page.locator('body').textContent().catch(String);
      console.error(`page ${page.url().replace(/token=\w+/, 'token=…')}:\n${text}`);
    }
    if (failed) console.error(`console and script errors: ${JSON.stringify(problems)}`);
  });

  beforeAll(async () => {
    if (!present) {
      throw new Error(
        `${CHROMIUM} is missing: install it (apt-get install -y chromium); CI never skips this test`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.map((dashboard) => dashboard.close()));
    await browser?.close();
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(WAIT.timeout);
    pages.push(page);
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  it('moves with a pipeline, shows a breaker opening, resolves an escalation by a click', async () => {
    const hub = createRecoveryHub({ name: 'browser-test' });
    const breaker = createCircuitBreaker({
      name: 'model-api',
      trip: { consecutive: 3 },
      openMs: 600_000,
      hub,
    });
    const budget = createRetryBudget({ name: 'model-api' });
    const dashboard = await serveDashboard(hub, {
      breakers: [breaker],
      budgets: [budget],
      updateMs: 50,
    });
    open.push(dashboard);
    const page = await newPage();
    await page.goto(dashboard.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    const stat = (name: string) => page.locator(`[data-stat="${name}"]`);
    expect(await stat('totalRecoveries').textContent()).toBe('0');
    expect(await page.locator('#hub').textContent()).toBe('browser-test');

    // The counters move as the pipeline recovers.
    const counterIs = (value: string) =>
      page
        .locator('[data-stat="totalRecoveries"]', { hasText: new RegExp(`^${value}$`) })
        .waitFor(WAIT);
    await Promise.all([recoverOnce(hub), recoverOnce(hub), recoverOnce(hub)]);
    await counterIs('3');
    await Promise.all([recoverOnce(hub), recoverOnce(hub)]);
    await counterIs('5');
    expect(await stat('successRate').textContent()).toBe('100.0%');
    await page.locator('#strategies [data-key="retry"]').waitFor(WAIT);
    await page.locator('#signals li[data-type="recovery_completed"]').first().waitFor(WAIT);

    // A breaker opens: three calls in a row fail through it.
    await page.locator('[data-breaker="model-api"][data-state="closed"]').waitFor(WAIT);
    for (let call = 0; call < 3; call++) {
      const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      await lastValueFrom(throwError(() => reset).pipe(circuitBreaker(breaker))).catch(
        () => undefined,
      );
    }
    expect(breaker.state).toBe('open');
    const row = page.locator('[data-breaker="model-api"][data-state="open"]');
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('closed → open');
    expect(await row.textContent()).toContain('3 / 3');
    await page.locator('#signals li[data-type="circuit_state_changed"]').waitFor(WAIT);

    // An escalation waits; the page shows it with its controls.
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const card = page.locator(`[data-escalation="${record?.id}"]`);
    await card.waitFor(WAIT);
    expect(await card.textContent()).toContain('Quorum not reached');
    expect(await page.locator('#escalation-count').textContent()).toBe('1');

    // Without the token, neither the event stream nor an action is served, and nothing changes.
    const forged = await fetch(at(dashboard.url, `/api/escalations/${record?.id}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'value', value: 'forged' }),
    });
    expect(forged.status).toBe(401);
    expect((await fetch(at(dashboard.url, '/events'))).status).toBe(401);
    expect(hub.pendingEscalations()).toHaveLength(1);
    expect(review.values).toEqual([]);

    // A person types a value — a second escalation arriving meanwhile does not take the
    // focus away — and clicks: the paused stream resumes with it.
    await card.locator('input[name="value"]').click();
    await page.keyboard.type('approved');
    const other = reviewThatWaits(hub);
    const [, second] = await waitingEscalations(hub, 2);
    await page.locator(`[data-escalation="${second?.id}"]`).waitFor(WAIT);
    await page.keyboard.type(' by hand');
    expect(await card.locator('input[name="value"]').inputValue()).toBe('approved by hand');
    await card.locator('button[data-action="value"]').click();
    await within(review.done, 10_000, 'the review stream resumes and completes');
    expect(review.values).toEqual(['approved by hand']);
    await card.waitFor({ state: 'detached', ...WAIT });
    await page
      .locator('#signals li[data-type="escalation_resolved"]', { hasText: 'value' })
      .waitFor(WAIT);
    expect(await page.locator('#escalation-count').textContent()).toBe('1');
    hub.resolveEscalation(second?.id ?? '', { action: 'complete' });
    await within(other.done, 10_000, 'the other review completes');
    await page.locator('#escalations .none').waitFor(WAIT);
    expect(await page.locator('#escalation-count').textContent()).toBe('0');
    expect(problems).toEqual([]);
  }, 60_000);

  it("shows the fleet's shared breakers and budgets, and says when the store cannot be read", async () => {
    // A fleet feed shaped as store.watchFleet() (test/redis/dashboard.test.ts feeds a real one).
    const changes = new Subject<FleetBreakerChange>();
    let report: FleetReport = {
      prefix: 'codegen',
      at: 0,
      reachable: true,
      breakers: [
        {
          ...createCircuitBreaker({ name: 'model-api', trip: { consecutive: 3 } }).snapshot(),
          failures: 3,
          calls: 3,
        },
      ],
      budgets: [{ name: 'model-api', deposits: 40, withdrawals: 2, balance: 16 }],
      complete: true,
      truncated: false,
    };
    const dashboard = await serveDashboard(createRecoveryHub({ name: 'fleet' }), {
      fleet: { changes$: changes, read: async () => report },
      updateMs: 20,
    });
    open.push(dashboard);
    const page = await newPage();
    await page.goto(dashboard.url);
    const closed = page.locator(
      '[data-breaker="model-api"][data-shared="true"][data-state="closed"]',
    );
    await closed.waitFor(WAIT);
    expect(await closed.textContent()).toContain('shared by the fleet');
    const budget = page.locator('[data-budget="model-api"][data-shared="true"]');
    expect(await budget.textContent()).toContain('16');
    // Another process opens it: the page shows the transition as the channel brings it.
    const [first] = report.breakers;
    report = { ...report, breakers: [{ ...(first as FleetBreaker), state: 'open', opens: 1 }] };
    changes.next({ name: 'model-api', from: 'closed', to: 'open', at: Date.now() });
    const row = page.locator('[data-breaker="model-api"][data-state="open"]');
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('closed → open');
    await row.filter({ hasText: 'opened 1 time in a row' }).waitFor(WAIT);
    // Redis down: the page says so, and keeps what it read.
    report = { ...report, reachable: false, error: 'Redis connection is reconnecting' };
    const store = page.locator('[data-store="codegen"]');
    await store.waitFor(WAIT);
    expect(await store.textContent()).toContain('Redis connection is reconnecting');
    expect(await row.count()).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a refusal on the page when an action is refused', async () => {
    const hub = createRecoveryHub({ name: 'refusals' });
    const dashboard = await serveDashboard(hub, {
      updateMs: 20,
      checkValue: (value) => (value === '' ? 'type the approved code first' : undefined),
    });
    open.push(dashboard);
    const page = await newPage();
    await page.goto(dashboard.url);
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const card = page.locator(`[data-escalation="${record?.id}"]`);
    await card.locator('button[data-action="value"]').click();
    await card.locator('.problem', { hasText: 'type the approved code first' }).waitFor(WAIT);
    expect(hub.pendingEscalations()).toHaveLength(1);
    // The retry button resumes the stream by resubscribing: it fails again and waits again.
    await card.locator('button[data-action="retry"]').click();
    await card.waitFor({ state: 'detached', ...WAIT });
    await waitingEscalations(hub, 1);
    expect(review.values).toEqual([]);
    // Bad JSON is caught on the page before it is sent.
    const again = page.locator('[data-escalation]');
    await again.locator('input[name="json"]').check();
    await again.locator('input[name="value"]').fill('{ not json');
    await again.locator('button[data-action="value"]').click();
    await again.locator('.problem', { hasText: 'not JSON' }).waitFor(WAIT);
    await again.locator('button[data-action="abort"]').click();
    await expect(within(review.done, 10_000, 'the review stream ends')).rejects.toMatchObject({
      name: 'EscalationError',
    });
    // The refused value is the one failed request (the browser logs it as an error).
    expect(problems).toEqual([
      'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    problems.length = 0;
  }, 60_000);

  it('tells a page without the token, or with a stale one, what to do', async () => {
    const hub = createRecoveryHub();
    const dashboard = await serveDashboard(hub);
    open.push(dashboard);
    const bare = await newPage();
    await bare.goto(at(dashboard.url, '/'));
    await bare.locator('#status[data-state="stopped"]').waitFor(WAIT);
    expect(await bare.locator('#notice').textContent()).toContain('needs its token');
    const stale = await newPage();
    problems.length = 0;
    await stale.goto(dashboard.url.replace(/token=\w+/, `token=${'0'.repeat(64)}`));
    await stale.locator('#status[data-state="stopped"]').waitFor(WAIT);
    expect(await stale.locator('#notice').textContent()).toContain('new link');
    // The browser reports the refused event stream (401) as a console error: expected here.
    expect(problems.every((problem) => /401|EventSource/.test(problem))).toBe(true);
    problems.length = 0;
  }, 60_000);

  it(`renders the demo scene calmly${screenshot ? ' (writes docs/dashboard.png)' : ''}`, async () => {
    // The whole `--demo` scene, 58 s of it played at once on virtual time: the chart has a
    // minute of history, the breaker is in its second outage, three reviews wait.
    const virtual = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
    const base = Date.now() - 58_000;
    const clock: SchedulerLike = {
      now: () => base + virtual.now(),
      schedule: virtual.schedule.bind(virtual) as SchedulerLike['schedule'],
    };
    const hub = createRecoveryHub({ name: 'codegen-demo' });
    const scene = startDemoScene(hub, virtual);
    const dashboard = await serveDashboard(hub, {
      breakers: scene.breakers,
      budgets: scene.budgets,
      scheduler: clock,
    });
    open.push(dashboard);
    virtual.maxFrames = 58_000;
    virtual.flush();
    expect(hub.pendingEscalations().length).toBeGreaterThanOrEqual(3);
    const page = await newPage({ width: 1280, height: 1000 });
    await page.goto(dashboard.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    await page.locator('[data-escalation]').nth(2).waitFor(WAIT);
    await page.locator('[data-breaker="model-api"]').waitFor(WAIT);
    const total = Number(await page.locator('[data-stat="totalRecoveries"]').textContent());
    expect(total).toBeGreaterThan(20);
    expect(problems).toEqual([]);
    if (screenshot) {
      await page.screenshot({
        path: fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url)),
        fullPage: true,
      });
    }
    scene.stop();
  }, 60_000);
});
