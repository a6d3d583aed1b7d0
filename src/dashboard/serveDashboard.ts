import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  asyncScheduler,
  type Observable,
  type SchedulerAction,
  type SchedulerLike,
  Subscription,
} from 'rxjs';
import {
  arrayOf,
  delay,
  fn,
  isObject,
  number,
  satisfies,
  scheduler as schedulerRule,
  shape,
  throwIfAny,
} from '../config/check.js';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { breakerRule, type CircuitBreaker } from '../fleet/circuitBreaker.js';
import { budgetRule, type RetryBudget } from '../fleet/retryBudget.js';
import { isRecoveryHub, type RecoveryHub } from '../observability/hub.js';
import type { FleetBreakerChange, FleetReport } from '../redis/fleetView.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import { EventStreams, frame } from './eventStreams.js';
import {
  authorized,
  COMMON_HEADERS,
  loopbackHosts,
  newToken,
  readBody,
  sameOrigin,
  sendError,
  sendJson,
} from './http.js';
import { DashboardModel } from './model.js';
import { dashboardPage } from './page.js';
import { MAX_BODY_BYTES, parseResolution } from './resolutionRequest.js';
import { firstLine } from './signalLine.js';

/**
 * Options of {@link serveDashboard}. Strict: an unknown key is a `RecoveryConfigError`.
 *
 * @example
 * ```ts
 * import { createCircuitBreaker, createRecoveryHub, createRetryBudget } from 'rx-recovery';
 * import { type DashboardOptions, serveDashboard } from 'rx-recovery/dashboard';
 *
 * const hub = createRecoveryHub({ name: 'codegen-service' });
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 5 }, hub });
 * const options: DashboardOptions = {
 *   port: 7070,
 *   breakers: [breaker],
 *   budgets: [createRetryBudget({ name: 'model-api' })],
 *   checkValue: (value) => (typeof value === 'string' ? undefined : 'the code must be a string'),
 * };
 * const dashboard = await serveDashboard(hub, options);
 * ```
 */
export interface DashboardOptions {
  /**
   * The port to listen on, on 127.0.0.1 (the dashboard can resume paused streams, so it
   * never listens beyond this machine); 0 takes a free one (read it from `url`).
   * @default 0
   */
  port?: number;
  /**
   * Breakers whose state and counters the page shows, read through their public `state$`
   * and `snapshot()`. Breakers that publish on the hub appear anyway, from their
   * `circuit_state_changed` signals (state and transitions, without counters).
   * @default []
   */
  breakers?: readonly CircuitBreaker[];
  /**
   * Budgets whose balance the page shows (`snapshot()`, read every second while a page is
   * open). Budgets named in `retry_budget_exhausted` signals appear anyway, with that count.
   * @default []
   */
  budgets?: readonly RetryBudget[];
  /**
   * The fleet's shared breakers and budgets, from a Redis store: `store.watchFleet()`
   * (`rx-recovery/redis`). While a page is open, the dashboard reads it every second (one
   * read at a time; also for each `GET /api/state`) and shows every breaker and budget
   * the processes under the store's prefix share — state, transitions, counters, balance —
   * marked `shared`, whichever process made them; transitions show as the store's channel
   * announces them. When Redis cannot be read the page says so under "Shared stores" and
   * keeps what it last read. The view is yours: `close()` it (or the store) after the
   * dashboard.
   * @default none
   */
  fleet?: DashboardFleet | undefined;
  /**
   * Least time between two updates sent to the pages, in ms: changes in between are
   * coalesced into one update, however many signals the pipelines publish.
   * @default 250
   */
  updateMs?: number;
  /** Pages (event streams) open at once; one more is answered 503. @default 100 */
  maxPages?: number;
  /**
   * Checks a value typed on the page before it resumes a stream: returns why it cannot
   * (the person sees that line), or `undefined` to accept it. A throw refuses it.
   * @default every JSON value is accepted
   */
  checkValue?: (value: unknown, record: EscalationRecord) => string | undefined;
  /** The dashboard's clock (times on the page) and where its updates wait. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * What the dashboard reads of a fleet: a `FleetView` from `store.watchFleet()` in
 * `rx-recovery/redis` (or anything shaped alike).
 */
export interface DashboardFleet {
  /** Reads the fleet's shared breakers and budgets now; never rejects. */
  read(): Promise<FleetReport>;
  /** Transitions of the fleet's breakers, as they are heard. */
  readonly changes$: Observable<FleetBreakerChange>;
}

/** A running dashboard: where to open it, and how to stop it. */
export interface DashboardServer {
  /** The page's address, token included: `http://127.0.0.1:<port>/?token=<64 hex digits>`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** This run's secret: every request but the page itself must carry it. */
  readonly token: string;
  /** Pages connected to the event stream now. */
  readonly pages: number;
  /**
   * Ends every event stream, closes the server and every connection, and unsubscribes
   * from the hub and the breakers. Resolves when the server is closed; idempotent.
   */
  close(): Promise<void>;
}

const dashboardOptions = shape({
  port: number({ int: true, min: 0, max: 65_535 }),
  breakers: arrayOf(breakerRule),
  budgets: arrayOf(budgetRule),
  updateMs: delay(),
  maxPages: number({ int: true, min: 1 }),
  checkValue: fn('(value, record) => string | undefined'),
  fleet: satisfies(
    (value) =>
      isObject(value) &&
      typeof value.read === 'function' &&
      typeof (value.changes$ as { subscribe?: unknown } | undefined)?.subscribe === 'function',
    'must be a fleet view (store.watchFleet() from rx-recovery/redis)',
  ),
  scheduler: schedulerRule,
});

/** How often breakers and budgets are read while a page is open, in ms. */
const POLL_MS = 1000;
/** How long a fleet read may take before the page goes on without it. */
const FLEET_READ_LIMIT_MS = 5000;

/**
 * Serves a live page of `hub` on 127.0.0.1: statistics, recoveries and failures per
 * second, breaker states and transitions, budget balances, recent signals, and the
 * escalations waiting for a person, with buttons to resolve them (`escalation.await`).
 * With `fleet` (a Redis store's `watchFleet()`), the breakers and budgets every process
 * shares through the store, too.
 *
 * In plain words: watch recovery as it happens, and answer escalations from a browser.
 *
 * Security: the server binds 127.0.0.1 only, and each run makes a new secret
 * token, carried in the printed `url`. The page itself is static and served to anyone
 * on the machine; everything else — the event stream, the state, every action — needs the
 * token (`Authorization: Bearer <token>`, or `?token=` on a GET), and a request without
 * it is answered 401 and changes nothing. A `Host` other than 127.0.0.1 or localhost with
 * this port is refused (DNS rebinding), and so is an action from another
 * `Origin`. An action's body is at most 16 KiB of JSON, validated on the server (400 with
 * the reason); resolving an escalation that no longer waits answers 409.
 *
 * Cost: the dashboard subscribes once to the hub (its signals and escalations), once to
 * each breaker's `state$` and once to the fleet's `changes$`, however many pages are open.
 * Each signal is an O(1) update; statistics, breaker and budget counters are read when an
 * update is made (and every second while a page is open, as is the `fleet`, one read at a
 * time); JSON is made at most once per `updateMs` and the same text is written to every
 * page. A page whose socket is full is skipped and gets one whole picture
 * when it drains, so a slow tab holds no queue; a closed page is forgotten at once.
 *
 * HTTP interface (for scripts): `GET /` the page; `GET /events` the event stream (one JSON
 * object per event, see `DashboardUpdate`); `GET /api/state` the whole picture;
 * `POST /api/escalations/<id>` with a `Resolution` body (`value`, `retry`, `complete` or
 * `abort`; a `source` cannot travel over HTTP).
 *
 * @example
 * ```ts
 * import { createRecoveryHub, withRecovery } from 'rx-recovery';
 * import { serveDashboard } from 'rx-recovery/dashboard';
 *
 * const hub = createRecoveryHub({ name: 'codegen-service' });
 * const dashboard = await serveDashboard(hub);
 * console.log(`dashboard: ${dashboard.url}`);
 * // Output: dashboard: http://127.0.0.1:40125/?token=5f0c…
 *
 * review$.pipe(withRecovery(undefined, { hub, escalation: { await: true } })).subscribe(publish);
 * // … an escalation waits; a person resolves it on the page; the stream resumes …
 * process.on('SIGTERM', () => dashboard.close());
 * ```
 * @param hub The hub whose recoveries the page shows.
 * @param options See {@link DashboardOptions}.
 * @returns Once it listens: its `url` (token included) and `close()`.
 * @throws RecoveryConfigError for an invalid hub or option (before anything listens);
 * the listen error (`EADDRINUSE`) when the port is taken.
 */
export async function serveDashboard(
  hub: RecoveryHub,
  options: DashboardOptions = {},
): Promise<DashboardServer> {
  const issues: string[] = [];
  if (!isRecoveryHub(hub)) issues.push('hub: must be a RecoveryHub (createRecoveryHub)');
  if (!isObject(options)) {
    issues.push('options: expected object');
  } else {
    dashboardOptions(options, 'options', issues);
  }
  throwIfAny(issues);

  const scheduler = options.scheduler ?? asyncScheduler;
  const updateMs = options.updateMs ?? 250;
  const maxPages = options.maxPages ?? 100;
  const { checkValue } = options;
  const breakers = options.breakers ?? [];
  const budgets = options.budgets ?? [];
  const token = newToken();
  const page = dashboardPage();
  const model = new DashboardModel(hub.name, hub.snapshot(), {
    breakers: breakers.map((breaker) => breaker.name),
    budgets: budgets.map((budget) => budget.name),
  });

  /**
   * Reads what is not pushed: the statistics (the hub keeps them current and cached, so
   * reading them here rather than subscribing to `statistics$` spares the pipelines a
   * snapshot per change), and the breaker and budget counters, which move with time alone.
   */
  const poll = () => {
    model.setStatistics(hub.snapshot());
    const now = scheduler.now();
    for (const breaker of breakers) model.breakerSnapshot(breaker.snapshot(), now);
    for (const budget of budgets) model.budgetSnapshot(budget.name, budget.snapshot());
  };
  const { fleet } = options;
  let closed = false;
  let reading: Promise<void> | undefined;
  /** The read under way's time limit. */
  let readLimit: Subscription | undefined;
  /** Reads started: a late answer of a read given up on is not folded over a newer one. */
  let reads = 0;
  /**
   * Reads the fleet (one read at a time); resolves when its report is in the model, or
   * after {@link FLEET_READ_LIMIT_MS}: a feed that never answers must stall neither
   * `/api/state` nor the reads after it (a store's view answers within its `timeoutMs`).
   */
  const readFleet = (): Promise<void> => {
    if (fleet === undefined || closed) return Promise.resolve();
    reading ??= new Promise<void>((settle) => {
      const read = ++reads;
      readLimit = scheduler.schedule(settle, FLEET_READ_LIMIT_MS);
      Promise.resolve()
        .then(() => fleet.read())
        .then((report) => {
          if (closed || read !== reads) return;
          model.fleetReport(report, scheduler.now());
          changed();
        })
        // A store's view never rejects; a feed shaped alike that throws breaks nothing either.
        .catch(() => {})
        .finally(() => {
          if (read === reads) readLimit?.unsubscribe();
          settle();
        });
    }).finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const streams = new EventStreams(() => {
    poll();
    return frame(model.full(scheduler.now()));
  });

  let flushing: Subscription | undefined;
  let polling: Subscription | undefined;
  let lastFlush = Number.NEGATIVE_INFINITY;
  const flush = () => {
    flushing = undefined;
    poll(); // fresh counters with every update: a breaker that just opened shows why
    lastFlush = scheduler.now();
    const update = model.delta(lastFlush);
    if (update !== null) streams.broadcast(frame(update));
  };
  /** Something changed: send it within `updateMs`, never from inside the pipeline's call. */
  const changed = () => {
    if (flushing !== undefined || streams.size === 0 || !model.changed) return;
    flushing = scheduler.schedule(flush, Math.max(0, lastFlush + updateMs - scheduler.now()));
  };
  const startPolling = () => {
    if (polling !== undefined) return;
    void readFleet();
    polling = scheduler.schedule(function (this: SchedulerAction<unknown>) {
      poll();
      void readFleet();
      changed();
      this.schedule(undefined, POLL_MS);
    }, POLL_MS);
  };
  const pageClosed = () => {
    if (streams.size > 0) return;
    polling?.unsubscribe();
    polling = undefined;
  };

  const subscriptions = new Subscription();
  subscriptions.add(
    hub.signals.subscribe((signal) => {
      model.addSignal(signal, scheduler.now());
      changed();
    }),
  );
  subscriptions.add(
    hub.escalations$.subscribe((records) => {
      model.setEscalations(records, scheduler.now());
      changed();
    }),
  );
  if (fleet !== undefined) {
    subscriptions.add(
      fleet.changes$.subscribe((change) => {
        model.breakerState(change.name, change.to, scheduler.now(), change.from, true);
        changed();
      }),
    );
  }
  for (const breaker of breakers) {
    subscriptions.add(
      breaker.state$.subscribe((state) => {
        model.breakerState(breaker.name, state, scheduler.now());
        changed();
      }),
    );
  }

  let port = options.port ?? 0;
  let hosts: readonly string[] = [];

  const resolve = async (request: IncomingMessage, response: ServerResponse, id: string) => {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      sendError(response, 415, 'content-type: must be application/json');
      return;
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === undefined) {
      sendError(response, 413, `body: at most ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
      return;
    }
    const parsed = parseResolution(body);
    if ('problem' in parsed) {
      sendError(response, 400, parsed.problem);
      return;
    }
    const { resolution } = parsed;
    const gone = `no escalation waits under id ${JSON.stringify(id)}: it was resolved, timed out or withdrawn, or never existed`;
    if (resolution.action === 'value' && checkValue !== undefined) {
      const record = hub.pendingEscalations().find((pending) => pending.id === id);
      if (record === undefined) {
        sendError(response, 409, gone);
        return;
      }
      let problem: string | undefined;
      try {
        problem = checkValue(resolution.value, record);
      } catch (error) {
        problem = `refused by checkValue: ${firstLine(error instanceof Error ? error.message : String(error))}`;
      }
      if (problem !== undefined) {
        sendError(response, 400, `resolution.value: ${firstLine(String(problem))}`);
        return;
      }
    }
    let resumed: boolean;
    try {
      // A hub with a shared store answers with a promise.
      resumed = await hub.resolveEscalation(id, resolution);
    } catch (error) {
      sendError(
        response,
        error instanceof RecoveryConfigError ? 400 : 500,
        firstLine(error instanceof Error ? error.message : String(error)),
      );
      return;
    }
    if (resumed) sendJson(response, 200, { resolved: true, id, action: resolution.action });
    else sendError(response, 409, gone);
  };

  const route = (request: IncomingMessage, response: ServerResponse) => {
    if (!hosts.includes(request.headers.host ?? '')) {
      sendError(response, 403, `host: must be ${hosts[0]}`);
      return;
    }
    const url = new URL(request.url ?? '/', `http://${hosts[0]}`);
    const method = request.method ?? 'GET';
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(response, 405, 'method: GET only', { allow: 'GET, HEAD' });
        return;
      }
      response.writeHead(200, {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': page.csp,
        'content-length': Buffer.byteLength(page.html),
      });
      response.end(method === 'HEAD' ? undefined : page.html);
      return;
    }
    if (!authorized(request, url, token)) {
      sendError(
        response,
        401,
        'token: missing or wrong; open the link printed when the dashboard started',
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    if (url.pathname === '/events' || url.pathname === '/api/state') {
      if (method !== 'GET') {
        sendError(response, 405, 'method: GET only', { allow: 'GET' });
      } else if (url.pathname === '/api/state') {
        void readFleet()
          .then(() => {
            poll();
            sendJson(response, 200, model.full(scheduler.now()));
          })
          .catch((error: unknown) => {
            if (!response.headersSent) sendError(response, 500, firstLine(String(error)));
          });
      } else if (streams.size >= maxPages) {
        sendError(response, 503, `pages: at most ${maxPages} open at once`);
      } else {
        streams.open(response, pageClosed);
        startPolling();
      }
      return;
    }
    const action = /^\/api\/escalations\/([^/]{1,200})$/.exec(url.pathname);
    if (action === null) {
      sendError(response, 404, `${url.pathname}: no such resource`);
      return;
    }
    if (method !== 'POST') {
      sendError(response, 405, 'method: POST only', { allow: 'POST' });
      return;
    }
    if (!sameOrigin(request.headers.origin, hosts)) {
      sendError(response, 403, 'origin: actions come from the dashboard page only');
      return;
    }
    let id: string;
    try {
      id = decodeURIComponent(action[1] as string);
    } catch {
      sendError(response, 400, 'id: not a valid URL component');
      return;
    }
    resolve(request, response, id).catch((error: unknown) => {
      if (!response.headersSent) {
        sendError(response, 500, firstLine(error instanceof Error ? error.message : String(error)));
      } else {
        response.destroy();
      }
    });
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    try {
      route(req, res);
    } catch (error) {
      if (!res.headersSent) {
        sendError(res, 500, firstLine(error instanceof Error ? error.message : String(error)));
      }
    }
  });
  try {
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        server.off('error', failed);
        listening();
      });
    });
  } catch (error) {
    subscriptions.unsubscribe();
    throw error;
  }
  port = (server.address() as AddressInfo).port;
  hosts = loopbackHosts(port);

  let closing: Promise<void> | undefined;
  return Object.freeze({
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    get pages() {
      return streams.size;
    },
    close() {
      closing ??= new Promise<void>((ended) => {
        closed = true;
        subscriptions.unsubscribe();
        flushing?.unsubscribe();
        polling?.unsubscribe();
        readLimit?.unsubscribe();
        streams.closeAll();
        server.close(() => ended());
        server.closeAllConnections();
      });
      return closing;
    },
  });
}
