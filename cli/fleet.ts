/**
 * `rx-recovery demo --fleet`: several worker processes call one flaky local HTTP service
 * that goes down for a while and comes back — first with plain recovery, then with a
 * circuit breaker and a retry budget — and the two runs are printed side by side: what the
 * service received, retries, calls the breaker refused, escalations, and how soon the fleet
 * recovered once the service was back. This is a demo against a real server, so it runs on
 * the wall clock (outside `src/`, which never reads it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defer, lastValueFrom, map } from 'rxjs';
import {
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isEscalationError,
  type RecoverySignal,
  type WithRecoveryOptions,
  withRecovery,
} from '../src/index.js';
import { createRedisStore } from '../src/redis.js';
import { connectRedis } from './escalations.js';
import { UsageError } from './usage.js';

export interface FleetOptions {
  readonly workers: number;
  readonly callers: number;
  /** Each run's length, ms. */
  readonly durationMs: number;
  /** When the service goes down and comes back, ms from the start of a run. */
  readonly downAtMs: number;
  readonly upAtMs: number;
  /** A Redis URL: the protected run shares its breaker and budget through it. */
  readonly redis?: string;
}

/** What one worker saw, sent to the parent as one JSON line. */
interface WorkerReport {
  readonly retries: number;
  readonly refused: number;
  readonly escalations: number;
  readonly degraded: number;
  readonly succeeded: number;
  /** Wall time (epoch ms) of the first success after the service came back. */
  readonly firstSuccessAfterUp: number | null;
}

/** One run's totals. */
export interface FleetRun {
  readonly label: string;
  readonly requests: number;
  readonly requestsWhileDown: number;
  readonly retries: number;
  readonly refused: number;
  readonly escalations: number;
  readonly degraded: number;
  readonly succeeded: number;
  /** How long after the service came back the fleet's first call succeeded, ms. */
  readonly recoveredAfterMs: number | null;
}

/** A local service: 200 while up, 503 while down; counts what reaches it. */
async function flakyService(downAt: number, upAt: number) {
  const counts = { requests: 0, whileDown: 0 };
  const server: Server = createServer((_request, response) => {
    counts.requests += 1;
    const now = Date.now();
    if (now >= downAt && now < upAt) {
      counts.whileDown += 1;
      response.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, counts, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Settles once `stopped` has: the run was interrupted (SIGINT, SIGTERM). */
const STOPPED: unique symbol = Symbol('stopped');

/**
 * Runs the workers of one run and adds up what they and the service saw; `STOPPED` when
 * `stopped` settles first. Either way, and when a worker fails, the ticker and the service
 * are gone and no worker is left running when it returns.
 */
async function run(
  label: string,
  protect: boolean,
  options: FleetOptions,
  progress: NodeJS.WritableStream,
  stopped: Promise<unknown>,
): Promise<FleetRun | typeof STOPPED> {
  const start = Date.now() + 1500; // the workers' start-up happens before the clock starts
  const service = await flakyService(start + options.downAtMs, start + options.upAtMs);
  const args = (index: number) => [
    ...process.execArgv,
    process.argv[1] as string,
    'fleet-worker',
    JSON.stringify({
      url: service.url,
      protect,
      callers: options.callers,
      startAt: start,
      endAt: start + options.durationMs,
      upAt: start + options.upAtMs,
      redis: options.redis,
      worker: index,
    }),
  ];
  const tty = (progress as { isTTY?: boolean }).isTTY === true;
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks += 1;
    if (!tty && ticks % 4 !== 0) return; // a log gets one line a second
    const elapsed = Math.max(0, Date.now() - start);
    const down = elapsed >= options.downAtMs && elapsed < options.upAtMs;
    const line = `  ${label}: ${(elapsed / 1000).toFixed(1)} s · ${service.counts.requests} requests · service ${down ? 'down' : 'up'}`;
    progress.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }, 250);
  const children: ChildProcess[] = [];
  const closed: Array<Promise<unknown>> = [];
  try {
    const reports = Promise.all(
      Array.from({ length: options.workers }, (_, index) => {
        // A worker's stderr is kept, not shown: a failure is reported once, by the parent.
        const child = spawn(process.execPath, args(index), { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        closed.push(once(child, 'close').catch(() => {}));
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
        });
        return new Promise<WorkerReport>((resolve, reject) => {
          child.on('error', (error) =>
            reject(new UsageError(`fleet worker ${index} did not start: ${error.message}`)),
          );
          child.on('close', (code, signal) => {
            const line = out.trim().split('\n').at(-1) ?? '';
            if (code === 0) {
              resolve(JSON.parse(line) as WorkerReport);
              return;
            }
            const said = err
              .trim()
              .split('\n')[0]
              ?.replace(/^rx-recovery: /, '');
            const how = code === null ? `was ended by ${signal}` : `exited with ${code}`;
            reject(new UsageError(`fleet worker ${index} ${how}${said ? `: ${said}` : ''}`));
          });
        });
      }),
    );
    reports.catch(() => {}); // a failure after a stop is not reported
    const reported = await Promise.race([reports, stopped.then(() => undefined)]);
    if (reported === undefined) return STOPPED;
    const sum = (key: keyof Omit<WorkerReport, 'firstSuccessAfterUp'>) =>
      reported.reduce((total, report) => total + report[key], 0);
    const firsts = reported
      .map((report) => report.firstSuccessAfterUp)
      .filter((at): at is number => at !== null);
    return {
      label,
      requests: service.counts.requests,
      requestsWhileDown: service.counts.whileDown,
      retries: sum('retries'),
      refused: sum('refused'),
      escalations: sum('escalations'),
      degraded: sum('degraded'),
      succeeded: sum('succeeded'),
      recoveredAfterMs: firsts.length === 0 ? null : Math.min(...firsts) - (start + options.upAtMs),
    };
  } finally {
    clearInterval(ticker);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    await Promise.all(closed);
    await service.close();
  }
}

/**
 * Whether Redis answers at `url` (within 5 s), before any worker starts: a URL where nothing
 * answers is a usage error, one line, and no worker is left to report it again.
 */
export async function checkRedis(url: string): Promise<void> {
  const client = await connectRedis(url);
  await client.quit().catch(() => client.disconnect());
}

/** Both runs, unprotected then protected; `undefined` when `stopped` settled first. */
export async function runFleetDemo(
  options: FleetOptions,
  progress: NodeJS.WritableStream,
  stopped: Promise<unknown> = new Promise(() => {}),
): Promise<readonly [FleetRun, FleetRun] | undefined> {
  const plain = await run('without protection', false, options, progress, stopped);
  if ((progress as { isTTY?: boolean }).isTTY === true) progress.write('\n');
  if (plain === STOPPED) return undefined;
  const shared =
    options.redis === undefined
      ? 'breaker + budget per process'
      : 'breaker + budget shared through Redis';
  const guarded = await run(`with ${shared}`, true, options, progress, stopped);
  if ((progress as { isTTY?: boolean }).isTTY === true) progress.write('\n');
  if (guarded === STOPPED) return undefined;
  return [plain, guarded];
}

/** The two runs side by side. */
export function formatFleet(runs: readonly [FleetRun, FleetRun], options: FleetOptions): string {
  const [plain, guarded] = runs;
  const rows: Array<[string, (r: FleetRun) => string]> = [
    ['requests that reached the service', (r) => String(r.requests)],
    ['  of which while it was down', (r) => String(r.requestsWhileDown)],
    ['retries', (r) => String(r.retries)],
    ['calls refused by the breaker', (r) => String(r.refused)],
    ['served from the degradation level', (r) => String(r.degraded)],
    ['escalations (pages)', (r) => String(r.escalations)],
    ['successful calls', (r) => String(r.succeeded)],
    [
      'first success after the service came back',
      (r) => (r.recoveredAfterMs === null ? '—' : `${(r.recoveredAfterMs / 1000).toFixed(2)} s`),
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const columns = [plain.label, guarded.label];
  const cell = Math.max(...columns.map((c) => c.length), 10);
  const line = (label: string, a: string, b: string) =>
    `${label.padEnd(width)}  ${a.padStart(cell)}  ${b.padStart(cell)}`;
  const load =
    plain.requestsWhileDown === 0 ? 0 : guarded.requestsWhileDown / plain.requestsWhileDown;
  return [
    '',
    `${options.workers} workers × ${options.callers} callers; the service is down from ${options.downAtMs / 1000} s to ${options.upAtMs / 1000} s of each ${options.durationMs / 1000} s run.`,
    line('', columns[0] as string, columns[1] as string),
    ...rows.map(([label, value]) => line(label, value(plain), value(guarded))),
    '',
    `While the service was down, the protected fleet sent ${(load * 100).toFixed(0)}% of the unprotected fleet's load.`,
  ].join('\n');
}

/** One worker process: `callers` loops calling the service until the run ends. */
export async function fleetWorker(raw: string): Promise<number> {
  const options = JSON.parse(raw) as {
    url: string;
    protect: boolean;
    callers: number;
    startAt: number;
    endAt: number;
    upAt: number;
    redis?: string;
    worker: number;
  };
  const hub = createRecoveryHub({ name: `worker-${options.worker}` });
  const report = {
    retries: 0,
    refused: 0,
    escalations: 0,
    degraded: 0,
    succeeded: 0,
    firstSuccessAfterUp: null as number | null,
  };
  hub.signals.subscribe((signal: RecoverySignal) => {
    if (signal.type === 'recovery_attempt' && signal.strategy === 'retry') report.retries += 1;
    if (signal.type === 'recovery_attempt' && signal.strategy === 'degrade') report.degraded += 1;
    if (signal.type === 'escalated') report.escalations += 1;
    if (signal.type === 'error_detected' && signal.classification.pattern?.id === 'circuit_open') {
      report.refused += 1;
    }
  });
  // A parent that is gone closed the report's pipe: the worker ends quietly, no EPIPE trace.
  process.stdout.on('error', () => {});
  // One prefix per run: a run never inherits the last run's breaker. The unprotected run
  // has no breaker and no budget, so it needs no Redis.
  const stores = await fleetStores(
    options.protect ? options.redis : undefined,
    `rx-recovery-fleet-${options.startAt}`,
    hub,
  );
  const recovery: WithRecoveryOptions<string> = options.protect
    ? {
        hub,
        retry: { baseDelayMs: 100, maxDelayMs: 400, jitter: 'full' },
        breaker: createCircuitBreaker({
          name: 'fleet-service',
          trip: { consecutive: 5 },
          openMs: 1000,
          halfOpenCalls: 1,
          hub,
          ...stores.breaker,
        }),
        budget: createRetryBudget({
          name: 'fleet-service',
          ratio: 0.1,
          minPerSecond: 2,
          ...stores.budget,
        }),
        degradation: { levels: [{ name: 'cached answer', value: 'cached' }] },
      }
    : { hub, retry: { baseDelayMs: 100, maxDelayMs: 400, jitter: 'full' } };
  const call = defer(() => fetch(options.url)).pipe(
    map((response) => {
      if (!response.ok) {
        throw Object.assign(new Error(`HTTP ${response.status} ${response.statusText}`), {
          status: response.status,
        });
      }
      return 'fresh';
    }),
    withRecovery(undefined, recovery),
  );
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await pause(Math.max(0, options.startAt - Date.now()));
  const caller = async () => {
    while (Date.now() < options.endAt) {
      try {
        const value = await lastValueFrom(call);
        if (value === 'fresh') {
          report.succeeded += 1;
          if (Date.now() >= options.upAt && report.firstSuccessAfterUp === null) {
            report.firstSuccessAfterUp = Date.now();
          }
        }
      } catch (error) {
        if (!isEscalationError(error)) throw error;
      }
      await pause(50);
    }
  };
  await Promise.all(Array.from({ length: options.callers }, caller));
  await stores.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

/** The store options of the protected run: none (per process), or Redis (the fleet's). */
async function fleetStores(
  redis: string | undefined,
  prefix: string,
  hub: ReturnType<typeof createRecoveryHub>,
): Promise<{ breaker: object; budget: object; close: () => Promise<void> }> {
  if (redis === undefined) return { breaker: {}, budget: {}, close: async () => {} };
  const client = await connectRedis(redis);
  const store = createRedisStore({ client, prefix, hub });
  return {
    breaker: { store },
    budget: { store },
    close: async () => {
      await store.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
