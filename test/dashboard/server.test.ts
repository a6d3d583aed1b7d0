import { request as httpRequest } from 'node:http';
import { Observable, Subject, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type DashboardFleet,
  type DashboardServer,
  type DashboardUpdate,
  serveDashboard,
} from '../../src/dashboard.js';
import {
  breakerProtocolOf,
  type CircuitBreaker,
  createCircuitBreaker,
} from '../../src/fleet/circuitBreaker.js';
import { createRetryBudget } from '../../src/fleet/retryBudget.js';
import { createRecoveryHub, isRecoveryConfigError } from '../../src/index.js';
import { hubListening } from '../../src/observability/hub.js';
import type { CircuitState } from '../../src/observability/signals.js';
import type { FleetBreakerChange } from '../../src/redis.js';
import {
  at,
  countingHub,
  openStream,
  recoverOnce,
  reviewThatWaits,
  waitingEscalations,
  within,
} from './helpers.js';

const running: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dashboard) => dashboard.close()));
});

async function start(options: Parameters<typeof serveDashboard>[1] = {}) {
  const hub = createRecoveryHub({ name: 'server-test' });
  const dashboard = await serveDashboard(hub, { updateMs: 20, ...options });
  running.push(dashboard);
  const bearer = { authorization: `Bearer ${dashboard.token}` };
  const post = (id: string, body: string, headers: Record<string, string> = {}) =>
    fetch(at(dashboard.url, `/api/escalations/${encodeURIComponent(id)}`), {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', ...headers },
      body,
    });
  return { hub, dashboard, bearer, post };
}

/** `token` with its last digit changed: right length, wrong secret. */
const almost = (token: string) => `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;

/** A raw request, for headers fetch will not let a test forge (`Host`). */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('serveDashboard: the server', () => {
  it('listens on 127.0.0.1 and prints a URL with a 64-hex-digit token', async () => {
    const { dashboard } = await start();
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(dashboard.url).toContain(`:${dashboard.port}/`);
    const other = await start();
    expect(other.dashboard.token).not.toBe(dashboard.token);
  });

  it('serves the static page without the token, with a strict Content-Security-Policy', async () => {
    const { dashboard } = await start();
    const response = await fetch(at(dashboard.url, '/'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    // Nothing is fetched from elsewhere (the icon is an empty data: URL).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\//);
    expect(html).not.toContain(dashboard.token);
  });

  it.each([
    ['GET', '/events'],
    ['GET', '/api/state'],
    ['POST', '/api/escalations/some-id'],
    ['GET', '/anything-else'],
  ])('answers %s %s without the token with 401, and changes nothing', async (method, path) => {
    const { hub, dashboard } = await start();
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const target = path.replace('some-id', record?.id ?? '');
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${almost(dashboard.token)}` },
      { authorization: `Basic ${dashboard.token}` },
    ]) {
      const response = await fetch(at(dashboard.url, target), {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(method === 'POST'
          ? { body: JSON.stringify({ action: 'value', value: 'forged' }) }
          : {}),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({
        error: 'token: missing or wrong; open the link printed when the dashboard started',
      });
    }
    // A POST cannot carry the token in its address: the page sends it as a header.
    const inQuery = await fetch(`${at(dashboard.url, target)}?token=${dashboard.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'value', value: 'forged' }),
    });
    expect(inQuery.status).toBe(method === 'POST' ? 401 : inQuery.status);
    expect(hub.pendingEscalations()).toHaveLength(1);
    expect(review.values).toEqual([]);
  });

  it('refuses a Host other than its own loopback names (DNS rebinding), token or not', async () => {
    const { dashboard } = await start();
    const url = `${at(dashboard.url, '/api/state')}?token=${dashboard.token}`;
    expect(await rawGet(url, {})).toBe(200);
    expect(await rawGet(url, { host: `localhost:${dashboard.port}` })).toBe(200);
    expect(await rawGet(url, { host: `attacker.example:${dashboard.port}` })).toBe(403);
    expect(await rawGet(url, { host: '127.0.0.1:1' })).toBe(403);
    expect(await rawGet(at(dashboard.url, '/'), { host: 'attacker.example' })).toBe(403);
  });

  it('streams a whole picture first, then the changes', async () => {
    const { hub, dashboard } = await start();
    const stream = await openStream(`${at(dashboard.url, '/events')}?token=${dashboard.token}`);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await stream.next((u) => u.full, 'a whole picture');
    expect(first).toMatchObject({
      full: true,
      hub: 'server-test',
      statistics: { totalRecoveries: 0 },
      escalations: { total: 0, items: [] },
      signals: [],
      breakers: [],
    });
    await recoverOnce(hub);
    const moved = await stream.next(
      (u) => u.statistics?.totalRecoveries === 1,
      'the statistics after one recovery',
    );
    expect(moved.full).toBe(false);
    expect(moved.statistics).toMatchObject({ successful: 1, successRate: 1 });
    const lines = stream.updates.flatMap((u) => u.signals ?? []).map((line) => line.type);
    expect(lines).toEqual(['error_detected', 'recovery_attempt', 'recovery_completed']);
    expect(dashboard.pages).toBe(1);
    stream.close();
  });

  it('answers GET /api/state with the whole picture', async () => {
    const { hub, dashboard, bearer } = await start();
    await recoverOnce(hub);
    const response = await fetch(at(dashboard.url, '/api/state'), { headers: bearer });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      full: true,
      statistics: { totalRecoveries: 1 },
      signals: [
        { type: 'error_detected' },
        { type: 'recovery_attempt' },
        { type: 'recovery_completed' },
      ],
    });
  });

  it('resolves a waiting escalation with a value: the paused stream emits it and completes', async () => {
    const { hub, post } = await start();
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const response = await post(
      record?.id ?? '',
      JSON.stringify({ action: 'value', value: 'approved by hand' }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ resolved: true, id: record?.id, action: 'value' });
    await within(review.done, 2000, 'the review stream completes');
    expect(review.values).toEqual(['approved by hand']);
    expect(hub.pendingEscalations()).toEqual([]);
    // Late: the first resolution won.
    const late = await post(record?.id ?? '', JSON.stringify({ action: 'retry' }));
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: string }).error).toMatch(
      /^no escalation waits under id ".+": it was resolved/,
    );
  });

  it('resolves with abort: the stream errors with an EscalationError carrying the reason', async () => {
    const { hub, post } = await start();
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const response = await post(
      record?.id ?? '',
      JSON.stringify({ action: 'abort', reason: 'not worth it' }),
    );
    expect(response.status).toBe(200);
    await expect(review.done).rejects.toMatchObject({ name: 'EscalationError' });
  });

  it.each([
    ['not JSON', '{"action":', 400, /^body: not JSON \(.+\)$/],
    [
      'an unknown action',
      '{"action":"approve"}',
      400,
      /^resolution\.action: must be one of value, retry, source, complete, abort, got "approve"$/,
    ],
    ['a value action without a value', '{"action":"value"}', 400, /^resolution\.value: required$/],
    [
      'a key the action does not take',
      '{"action":"retry","value":1}',
      400,
      /^resolution\.value: unknown option for action retry$/,
    ],
    [
      'a reason that is not a string',
      '{"action":"abort","reason":42}',
      400,
      /^resolution\.reason: expected string, got 42$/,
    ],
    [
      'a source (code cannot travel over HTTP)',
      '{"action":"source","source":[1]}',
      400,
      /^resolution\.action: a source cannot be sent from the page/,
    ],
    ['an array', '[]', 400, /^resolution: expected object, got an array$/],
  ])(
    'refuses %s with a one-line reason, and the stream keeps waiting',
    async (_label, body, status, reason) => {
      const { hub, post } = await start();
      const review = reviewThatWaits(hub);
      const [record] = await waitingEscalations(hub, 1);
      const response = await post(record?.id ?? '', body);
      expect(response.status).toBe(status);
      const { error } = (await response.json()) as { error: string };
      expect(error).toMatch(reason);
      expect(error).not.toContain('\n');
      expect(hub.pendingEscalations()).toHaveLength(1);
      expect(review.values).toEqual([]);
    },
  );

  it('refuses the wrong content type (415), a body over 16 KiB (413), an unknown id (409), a foreign Origin (403)', async () => {
    const { hub, post } = await start();
    reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const id = record?.id ?? '';
    const value = JSON.stringify({ action: 'value', value: 'ok' });
    expect((await post(id, value, { 'content-type': 'text/plain' })).status).toBe(415);
    const big = JSON.stringify({ action: 'value', value: 'x'.repeat(17 * 1024) });
    expect((await post(id, big)).status).toBe(413);
    expect((await post('no-such-id', value)).status).toBe(409);
    expect((await post(id, value, { origin: 'http://attacker.example' })).status).toBe(403);
    expect(hub.pendingEscalations()).toHaveLength(1);
  });

  it('lets checkValue refuse a value, with its reason', async () => {
    const { hub, post } = await start({
      checkValue: (value, record) =>
        typeof value === 'string' ? undefined : `${record.context.nodeName} takes text`,
    });
    const review = reviewThatWaits(hub);
    const [record] = await waitingEscalations(hub, 1);
    const refused = await post(record?.id ?? '', JSON.stringify({ action: 'value', value: 42 }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'resolution.value: quorum_review takes text' });
    const accepted = await post(
      record?.id ?? '',
      JSON.stringify({ action: 'value', value: 'text' }),
    );
    expect(accepted.status).toBe(200);
    await within(review.done, 2000, 'the review stream completes');
    expect(review.values).toEqual(['text']);
  });

  it('shows breaker objects and budgets with their counters', async () => {
    const hub = createRecoveryHub();
    const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 2 }, hub });
    const budget = createRetryBudget({ name: 'model-api' });
    const { dashboard, bearer } = await start({ breakers: [breaker], budgets: [budget] });
    const response = await fetch(at(dashboard.url, '/api/state'), { headers: bearer });
    const state = (await response.json()) as DashboardUpdate;
    expect(state.breakers).toEqual([
      {
        name: 'model-api',
        state: 'closed',
        transitions: [],
        calls: 0,
        failures: 0,
        consecutiveFailures: 0,
        retryAfterMs: 0,
      },
    ]);
    expect(state.budgets).toEqual([
      { name: 'model-api', deposits: 0, withdrawals: 0, balance: 100, exhausted: 0 },
    ]);
  });

  it("shows a fleet's shared breakers and budgets: read when a page opens and for /api/state, transitions as heard", async () => {
    const changes = new Subject<FleetBreakerChange>();
    let reads = 0;
    let state: CircuitState = 'closed';
    const fleet: DashboardFleet = {
      changes$: changes.asObservable(),
      read: async () => {
        reads += 1;
        return {
          prefix: 'codegen',
          at: 0,
          reachable: true,
          breakers: [
            {
              ...createCircuitBreaker({ name: 'model-api', trip: { consecutive: 3 } }).snapshot(),
              state,
              opens: state === 'open' ? 1 : 0,
              failures: 3,
              calls: 3,
              consecutiveFailures: 3,
            },
          ],
          budgets: [{ name: 'model-api', deposits: 40, withdrawals: 2, balance: 16 }],
          complete: true,
          truncated: false,
        };
      },
    };
    const { dashboard, bearer } = await start({ fleet });
    expect(changes.observed).toBe(true);
    expect(reads).toBe(0); // nobody looks: nothing is read
    const response = await fetch(at(dashboard.url, '/api/state'), { headers: bearer });
    const first = (await response.json()) as DashboardUpdate;
    expect(reads).toBe(1);
    expect(first.breakers).toEqual([
      {
        name: 'model-api',
        state: 'closed',
        transitions: [],
        shared: true,
        opens: 0,
        calls: 3,
        failures: 3,
        consecutiveFailures: 3,
        retryAfterMs: 0,
      },
    ]);
    expect(first.budgets).toEqual([
      { name: 'model-api', shared: true, deposits: 40, withdrawals: 2, balance: 16, exhausted: 0 },
    ]);
    // Another process opens it: the channel says so, the page shows the transition.
    const stream = await openStream(`${at(dashboard.url, '/events')}?token=${dashboard.token}`);
    state = 'open';
    changes.next({ name: 'model-api', from: 'closed', to: 'open', at: 0 });
    const update = await stream.next(
      (u) => u.breakers?.[0]?.state === 'open',
      'the breaker open on the page',
    );
    expect(update.breakers?.[0]?.transitions).toEqual([
      { from: 'closed', to: 'open', at: expect.any(Number) },
    ]);
    expect(reads).toBeGreaterThanOrEqual(2); // the page opened: read at once
    stream.close();
    await dashboard.close();
    expect(changes.observed).toBe(false);
  });

  it('answers /api/state when a fleet read never settles, and reads again afterwards', async () => {
    // The read's time limit runs on the dashboard's scheduler: virtual here, moved by hand.
    const scheduler = new VirtualTimeScheduler();
    const asked: Array<() => void> = [];
    const fleet: DashboardFleet = {
      changes$: new Subject<FleetBreakerChange>(),
      read: () => {
        asked.shift()?.();
        return new Promise(() => {}); // a feed that never answers
      },
    };
    const { dashboard, bearer } = await start({ fleet, scheduler });
    for (let read = 1; read <= 2; read++) {
      const readStarted = new Promise<void>((started) => asked.push(started));
      const answer = fetch(at(dashboard.url, '/api/state'), { headers: bearer });
      await readStarted;
      scheduler.flush(); // the read's time limit passes: the page goes on without it
      const response = await answer;
      expect(response.status).toBe(200);
      expect(((await response.json()) as DashboardUpdate).breakers).toEqual([]);
    }
  });

  it('says so on the page when the fleet cannot be read, and goes on', async () => {
    const fleet: DashboardFleet = {
      changes$: new Subject<FleetBreakerChange>(),
      read: async () => ({
        prefix: 'codegen',
        at: 0,
        reachable: false,
        error: 'Redis connection is reconnecting',
        breakers: [],
        budgets: [],
        complete: false,
        truncated: false,
      }),
    };
    const { dashboard, bearer } = await start({ fleet });
    const state = (await (
      await fetch(at(dashboard.url, '/api/state'), { headers: bearer })
    ).json()) as DashboardUpdate;
    expect(state.stores).toEqual([
      {
        name: 'codegen',
        state: 'degraded',
        since: expect.any(Number),
        error: 'Redis connection is reconnecting',
      },
    ]);
    // A feed that throws (not a store's view) breaks nothing either.
    const broken = await start({
      fleet: {
        changes$: new Subject<FleetBreakerChange>(),
        read: () => {
          throw new Error('not a view');
        },
      },
    });
    const answer = await fetch(at(broken.dashboard.url, '/api/state'), { headers: broken.bearer });
    expect(answer.status).toBe(200);
    const error = await serveDashboard(createRecoveryHub(), { fleet: {} as never }).catch(
      (thrown: unknown) => thrown,
    );
    expect((error as Error).message).toBe(
      'options.fleet: must be a fleet view (store.watchFleet() from rx-recovery/redis)',
    );
  });

  it('stops streaming to a page that closed, and forgets it', async () => {
    const { hub, dashboard } = await start();
    const url = `${at(dashboard.url, '/events')}?token=${dashboard.token}`;
    const [a, b] = await Promise.all([openStream(url), openStream(url)]);
    await a?.next((u) => u.full, 'a whole picture');
    expect(dashboard.pages).toBe(2);
    a?.close();
    // The server hears of the close on its own time: wait for it, bounded.
    await vi.waitFor(() => expect(dashboard.pages).toBe(1), { timeout: 2000, interval: 5 });
    await recoverOnce(hub);
    await b?.next((u) => u.statistics?.totalRecoveries === 1, 'the open page moves');
    expect(a?.updates.some((u) => u.statistics?.totalRecoveries === 1)).toBe(false);
    expect(dashboard.pages).toBe(1);
    b?.close();
  });

  it('refuses more pages than maxPages with 503', async () => {
    const { dashboard } = await start({ maxPages: 1 });
    const url = `${at(dashboard.url, '/events')}?token=${dashboard.token}`;
    const first = await openStream(url);
    await expect(openStream(url)).rejects.toThrow('GET /events answered 503');
    first.close();
  });

  it('close() ends every stream, the server and every subscription on the hub and the breakers', async () => {
    const real = createRecoveryHub();
    const { hub, open } = countingHub(real);
    const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 2 } });
    let breakerSubscriptions = 0;
    // The same breaker, its state$ counted; it carries the real one's call protocol (brand).
    const counted = Object.defineProperty(
      {
        name: breaker.name,
        snapshot: () => breaker.snapshot(),
        state$: new Observable<CircuitState>((subscriber) => {
          breakerSubscriptions += 1;
          const subscription = breaker.state$.subscribe(subscriber);
          return () => {
            breakerSubscriptions -= 1;
            subscription.unsubscribe();
          };
        }),
      },
      Symbol.for('rx-recovery.breaker'),
      { value: breakerProtocolOf(breaker) },
    ) as unknown as CircuitBreaker;
    const servers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const dashboard = await serveDashboard(hub, { breakers: [counted] });
    const listening = servers();
    expect(breakerSubscriptions).toBe(1);
    expect(open()).toBe(2); // signals and escalations: once, however many pages
    expect(hubListening(real)).toBe(true);
    const url = `${at(dashboard.url, '/events')}?token=${dashboard.token}`;
    const streams = await Promise.all([openStream(url), openStream(url), openStream(url)]);
    expect(open()).toBe(2);
    await dashboard.close();
    await within(Promise.all(streams.map((s) => s.ended)), 2000, 'every stream ends');
    expect(open()).toBe(0);
    expect(hubListening(real)).toBe(false);
    expect(servers()).toBeLessThan(listening);
    await expect(fetch(at(dashboard.url, '/'))).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    await dashboard.close(); // idempotent
    expect(breakerSubscriptions).toBe(0);
  });

  it('checks its hub and options, naming every problem at once', async () => {
    const error = await serveDashboard(
      {} as never,
      {
        port: 70_000,
        host: '0.0.0.0',
        breakers: [{}] as never,
        updateMs: -1,
        colour: 'blue',
      } as never,
    ).catch((thrown: unknown) => thrown);
    expect(isRecoveryConfigError(error)).toBe(true);
    expect((error as Error).message).toMatchInlineSnapshot(`
      "hub: must be a RecoveryHub (createRecoveryHub)
      options.port: must be ≤ 65535
      options.breakers[0]: must be a CircuitBreaker (createCircuitBreaker)
      options.updateMs: must be ≥ 0
      options.host: unknown option
      options.colour: unknown option"
    `);
  });
});
