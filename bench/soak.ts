/**
 * Soak: `npm run soak` recovers 1,000,000 errors with zero-delay retries and alternatives,
 * every pipeline publishing to one shared hub, and prints the heap used after a forced GC
 * at the start, the middle and the end. It exits non-zero when the heap grew by more than
 * 10 MB, or when any count is not what the scenario implies.
 *
 *   npm run soak                      # 1,000,000 errors
 *   npm run soak -- --errors 100000   # a shorter run (a multiple of 5)
 *
 * Needs `global.gc`: without `--expose-gc` it runs itself again with it.
 *
 * Each pipeline meets five errors, all synchronous: its source times out three times
 * (retried at once, `operation_timeout`), then cannot find a module (`import_not_found`),
 * whose first alternative cannot find one either; the second alternative delivers a value.
 * Every tenth pipeline has only the first alternative, so it escalates instead. One
 * operator instance of each kind serves every pipeline.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { defer, type Observable, of, throwError } from 'rxjs';
import {
  createRecoveryHub,
  defaultPatterns,
  injectFaults,
  type RecoveryStatistics,
  withRecovery,
} from '../src/index.js';

/** Errors each pipeline meets. */
export const ERRORS_PER_PIPELINE = 5;
/** Every this-many-th pipeline escalates. */
const ESCALATE_EVERY = 10;
/** Heap growth after GC that fails the soak. */
export const HEAP_BOUND_BYTES = 10 * 1024 * 1024;

export interface SoakReport {
  readonly errors: number;
  readonly pipelines: number;
  /** Signals the hub delivered, by type. */
  readonly signals: Readonly<Record<string, number>>;
  /** Metrics the hub derived. */
  readonly metrics: number;
  /** Values the pipelines delivered downstream. */
  readonly values: number;
  /** Pipelines that ended with an EscalationError. */
  readonly escalationErrors: number;
  /** Pipelines that completed. */
  readonly completed: number;
  readonly statistics: RecoveryStatistics;
}

export interface SoakOptions {
  /** Errors to recover; a multiple of {@link ERRORS_PER_PIPELINE}. */
  readonly errors: number;
  /** Called after the given number of pipelines has run (for the middle heap sample). */
  readonly checkpoint?: { readonly after: number; readonly run: () => void };
}

const timeout = new Error('Model request timed out after 30000ms');
const missing = new Error("Cannot find module './renderer'");

/** Runs the soak scenario synchronously and returns what the hub and the consumers saw. */
export function runSoak({ errors, checkpoint }: SoakOptions): SoakReport {
  if (!Number.isInteger(errors) || errors <= 0 || errors % ERRORS_PER_PIPELINE !== 0) {
    throw new RangeError(`errors must be a positive multiple of ${ERRORS_PER_PIPELINE}`);
  }
  const pipelines = errors / ERRORS_PER_PIPELINE;
  const hub = createRecoveryHub();
  const signals: Record<string, number> = {};
  hub.signals.subscribe((signal) => {
    signals[signal.type] = (signals[signal.type] ?? 0) + 1;
  });
  let metrics = 0;
  hub.metrics.subscribe(() => {
    metrics += 1;
  });
  let latest: RecoveryStatistics = hub.snapshot();
  hub.statistics$.subscribe((stats) => {
    latest = stats;
  });

  const failingAlternative = () => throwError(() => missing);
  const healthy = of('generated');
  const timingOut = injectFaults<string>({ rate: 1, errors: [timeout] });
  const missingModule = injectFaults<string>({ rate: 1, errors: [missing] });
  const options = { hub, retry: { baseDelayMs: 0 } };
  const recovering = withRecovery<string>(defaultPatterns, {
    ...options,
    alternatives: { import_not_found: [failingAlternative, () => of('rendered')] },
  });
  const escalating = withRecovery<string>(defaultPatterns, {
    ...options,
    alternatives: { import_not_found: [failingAlternative] },
  });

  let values = 0;
  let escalationErrors = 0;
  let completed = 0;
  const observer = {
    next: () => {
      values += 1;
    },
    error: (error: unknown) => {
      if ((error as { isEscalationError?: unknown }).isEscalationError === true) {
        escalationErrors += 1;
      }
    },
    complete: () => {
      completed += 1;
    },
  };
  for (let i = 0; i < pipelines; i++) {
    let subscriptions = 0;
    // The failures are injected into a healthy source, as a chaos test would.
    const source: Observable<string> = defer(() =>
      healthy.pipe(++subscriptions <= 3 ? timingOut : missingModule),
    );
    source
      .pipe(i % ESCALATE_EVERY === ESCALATE_EVERY - 1 ? escalating : recovering)
      .subscribe(observer);
    if (checkpoint !== undefined && i + 1 === checkpoint.after) checkpoint.run();
  }
  return {
    errors,
    pipelines,
    signals: { ...signals },
    metrics,
    values,
    escalationErrors,
    completed,
    statistics: latest,
  };
}

/** The counts a run of `errors` must show; a list of what differs. */
export function checkSoak(report: SoakReport): string[] {
  const { pipelines, statistics: stats } = report;
  const escalated = Math.floor(pipelines / ESCALATE_EVERY);
  const recovered = pipelines - escalated;
  const expected: Array<[string, number, number]> = [
    ['error_detected signals', report.signals.error_detected ?? 0, report.errors],
    [
      'recovery_attempt signals',
      report.signals.recovery_attempt ?? 0,
      3 * pipelines + 2 * recovered + escalated,
    ],
    ['recovery_completed signals', report.signals.recovery_completed ?? 0, pipelines],
    ['escalated signals', report.signals.escalated ?? 0, escalated],
    ['observer_error signals', report.signals.observer_error ?? 0, 0],
    ['values delivered', report.values, recovered],
    ['pipelines completed', report.completed, recovered],
    ['EscalationErrors', report.escalationErrors, escalated],
    ['totalRecoveries', stats.totalRecoveries, pipelines],
    ['successful', stats.successful, recovered],
    ['failed', stats.failed, escalated],
    ['escalations', stats.escalations, escalated],
    ['stepsByStrategy.retry', stats.stepsByStrategy.retry ?? 0, 3 * pipelines],
    [
      'stepsByStrategy.alternative',
      stats.stepsByStrategy.alternative ?? 0,
      2 * recovered + escalated,
    ],
    ['strategiesUsed.alternative', stats.strategiesUsed.alternative ?? 0, recovered],
    ['strategiesUsed.escalate', stats.strategiesUsed.escalate ?? 0, escalated],
    ['byErrorType.timeout', stats.byErrorType.timeout ?? 0, pipelines],
  ];
  return expected
    .filter(([, actual, wanted]) => actual !== wanted)
    .map(([what, actual, wanted]) => `${what}: ${actual}, expected ${wanted}`);
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('needs node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const thousands = (n: number) => n.toLocaleString('en-US');

function main(): number {
  const { values } = parseArgs({ options: { errors: { type: 'string', default: '1000000' } } });
  const errors = Number(values.errors);
  // Warm up on a hub of its own, so that start is measured with the code compiled.
  runSoak({ errors: 10_000 });
  const start = heapAfterGc();
  let middle = Number.NaN;
  const pipelines = errors / ERRORS_PER_PIPELINE;
  const began = performance.now();
  const report = runSoak({
    errors,
    checkpoint: { after: Math.floor(pipelines / 2), run: () => (middle = heapAfterGc()) },
  });
  const wallMs = performance.now() - began;
  const end = heapAfterGc();
  const growth = end - start;
  const problems = checkSoak(report);
  const { statistics: stats } = report;
  console.log(
    `rx-recovery soak: ${thousands(errors)} errors through ${thousands(pipelines)} pipelines ` +
      '(zero-delay retries and alternatives), one shared hub',
  );
  console.log(
    `heap used after GC: start ${mb(start)} · middle ${mb(middle)} · end ${mb(end)} · ` +
      `growth ${growth >= 0 ? '+' : ''}${mb(growth)} (bound ${mb(HEAP_BOUND_BYTES)})`,
  );
  console.log(
    `recoveries ${thousands(stats.totalRecoveries)}: ${thousands(stats.successful)} succeeded, ` +
      `${thousands(stats.failed)} escalated; steps: retry ${thousands(stats.stepsByStrategy.retry ?? 0)}, ` +
      `alternative ${thousands(stats.stepsByStrategy.alternative ?? 0)}; ` +
      `${thousands(report.metrics)} metrics`,
  );
  console.log(
    `wall time ${(wallMs / 1000).toFixed(1)} s (${thousands(Math.round(errors / (wallMs / 1000)))} errors/s, ` +
      'middle heap sample included)',
  );
  for (const problem of problems) console.error(`count mismatch: ${problem}`);
  if (growth > HEAP_BOUND_BYTES) {
    console.error(`heap grew by ${mb(growth)}, more than ${mb(HEAP_BOUND_BYTES)}`);
  }
  return problems.length === 0 && growth <= HEAP_BOUND_BYTES ? 0 : 1;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    if (process.env.RX_RECOVERY_SOAK_CHILD === '1') {
      console.error('bench/soak.ts: global.gc is missing even with --expose-gc');
      process.exit(2);
    }
    // Run again with --expose-gc, keeping tsx's loader flags.
    const { status } = spawnSync(
      process.execPath,
      ['--expose-gc', ...process.execArgv, process.argv[1] as string, ...process.argv.slice(2)],
      { stdio: 'inherit', env: { ...process.env, RX_RECOVERY_SOAK_CHILD: '1' } },
    );
    process.exit(status ?? 1);
  }
  process.exit(main());
}
