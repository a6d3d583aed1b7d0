import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import {
  type ContractOutcome,
  runWorkflow,
  signalRecorder,
} from '../examples/codegen-workflow/workflow.js';
import { createRecoveryHub, type EscalationRecord, type RecoveryStatistics } from '../src/index.js';

export interface DemoOptions {
  readonly contracts: number;
  readonly faultRate: number;
  readonly seed: number;
  readonly concurrency: number;
  /** Real ms per simulated ms; 0 runs as fast as the CPU allows. */
  readonly timeScale: number;
  readonly json: boolean;
  /** Escalated reviews wait for a person; a scripted reviewer resolves them. */
  readonly awaitHuman?: boolean;
}

/** What the scripted reviewer did with one waiting escalation. */
export interface Review {
  readonly contract: string;
  readonly node: string | undefined;
  readonly waitedMs: number;
  readonly action: 'value' | 'retry' | 'abort';
  readonly resumed: boolean;
}

/** What `--json` prints: a pure function of the options, so the same seed gives the same text. */
export interface DemoReport {
  readonly options: Omit<DemoOptions, 'json' | 'timeScale'>;
  readonly contracts: { total: number; generated: number; degraded: number; escalated: number };
  readonly simulatedMs: number;
  readonly strategies: Record<
    string,
    {
      attempts: number;
      recoveries: number;
      successes: number;
      successRate: number;
      meanMs: number;
      p95Ms: number;
    }
  >;
  readonly statistics: RecoveryStatistics;
  readonly escalations: Array<
    Omit<EscalationRecord, 'id' | 'context'> & { node: string | undefined }
  >;
  /** With `awaitHuman`: what the reviewer decided for each waiting escalation, in order. */
  readonly reviews?: readonly Review[];
}

/** How long the scripted reviewer takes to answer, in simulated ms. */
const REVIEW_MS = 2000;
/** Its answers, in turn: approve the code as it is, try the review again, give up. */
const REVIEW_ACTIONS: readonly Review['action'][] = ['value', 'retry', 'abort'];

/** Simulated time advanced between two looks at the clock and the progress line. */
const STEP_MS = 250;
const STRATEGY_ORDER = ['retry', 'alternative', 'degrade', 'correct', 'escalate'];

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const round = (value: number) => Math.round(value * 100) / 100;
const clip = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text;

/**
 * Runs the workflow on a virtual clock — so durations and outcomes depend only on the
 * options — and plays it back against the wall clock at `timeScale`, drawing progress.
 */
export async function runDemo(options: DemoOptions, out: NodeJS.WriteStream): Promise<DemoReport> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const hub = createRecoveryHub();
  const recorder = signalRecorder();
  hub.signals.subscribe(recorder.record);
  const escalations: EscalationRecord[] = [];
  const outcomes: ContractOutcome[] = [];
  let failure: unknown;
  let done = false;
  const reviews: Review[] = [];
  if (options.awaitHuman === true) {
    // The scripted reviewer: answers each waiting escalation REVIEW_MS later, in turn.
    const seen = new Set<string>();
    hub.escalations$.subscribe((waiting) => {
      for (const record of waiting) {
        if (seen.has(record.id)) continue;
        seen.add(record.id);
        const action = REVIEW_ACTIONS[(seen.size - 1) % REVIEW_ACTIONS.length] as Review['action'];
        const contract = record.context.correlationId.split('/')[0] ?? '';
        scheduler.schedule(() => {
          const resumed = hub.resolveEscalation(
            record.id,
            action === 'value'
              ? {
                  action,
                  value: { contract, code: '// approved by a reviewer', fallbacks: ['review'] },
                }
              : action === 'abort'
                ? { action, reason: 'not worth a fix' }
                : { action },
          );
          reviews.push({
            contract,
            node: record.context.nodeName,
            waitedMs: REVIEW_MS,
            action,
            resumed,
          });
          if (!options.json) {
            const how = {
              value: 'approved as it is',
              retry: 'asked to review again',
              abort: 'gave up on it',
            }[action];
            // An abort ends the stream (EscalationError); the other answers resume it.
            const after = !resumed
              ? ''
              : action === 'abort'
                ? '; the stream ended with an EscalationError'
                : '; the stream resumed in place';
            out.write(
              `reviewer: ${contract} at ${record.context.nodeName} → ${how} after ${REVIEW_MS / 1000} s${after}\n`,
            );
          }
        }, REVIEW_MS);
      }
    });
  }
  runWorkflow({
    ...options,
    scheduler,
    hub,
    onEscalate: (record) => void escalations.push(record),
  }).subscribe({
    next: (outcome) => outcomes.push(outcome),
    error: (error: unknown) => {
      failure = error;
      done = true;
    },
    complete: () => {
      done = true;
    },
  });

  const started = performance.now();
  const tty = out.isTTY === true && !options.json;
  let reported = 0;
  const progress = (final: boolean) => {
    if (options.json) return;
    const stats = hub.snapshot();
    const line = `${outcomes.length}/${options.contracts} contracts · ${plural(stats.totalRecoveries, 'recovery', 'recoveries')} · ${plural(stats.escalations, 'escalation')} · ${((performance.now() - started) / 1000).toFixed(1)}s`;
    if (tty) {
      out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (
      (final && outcomes.length !== reported) ||
      outcomes.length >= reported + Math.max(1, Math.ceil(options.contracts / 5))
    ) {
      reported = outcomes.length;
      out.write(`${line}\n`);
    }
  };

  while (!done) {
    const next = scheduler.actions[0];
    if (next === undefined) break;
    const from = scheduler.frame;
    scheduler.maxFrames = Math.max(next.delay, from + STEP_MS);
    scheduler.flush();
    if (options.timeScale > 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, (scheduler.frame - from) * options.timeScale),
      );
    }
    progress(false);
  }
  progress(true);
  if (failure !== undefined) throw failure;

  const count = (status: ContractOutcome['status']) =>
    outcomes.filter((o) => o.status === status).length;
  const strategies: DemoReport['strategies'] = {};
  for (const strategy of STRATEGY_ORDER) {
    const durations = [...(recorder.durations.get(strategy) ?? [])].sort((a, b) => a - b);
    const successes = recorder.successes.get(strategy) ?? 0;
    strategies[strategy] = {
      attempts:
        strategy === 'escalate' ? escalations.length : (recorder.attempts.get(strategy) ?? 0),
      recoveries: durations.length,
      successes,
      successRate: durations.length === 0 ? 0 : round(successes / durations.length),
      meanMs:
        durations.length === 0 ? 0 : round(durations.reduce((a, b) => a + b, 0) / durations.length),
      p95Ms: percentile(durations, 95),
    };
  }
  const { json: _json, timeScale: _scale, awaitHuman: _human, ...reportedOptions } = options;
  return {
    options: reportedOptions,
    contracts: {
      total: outcomes.length,
      generated: count('generated'),
      degraded: count('degraded'),
      escalated: count('escalated'),
    },
    simulatedMs: scheduler.frame,
    strategies,
    statistics: hub.snapshot(),
    escalations: escalations.map(({ id: _id, context, ...record }) => ({
      node: context.nodeName,
      ...record,
    })),
    ...(options.awaitHuman === true ? { reviews } : {}),
  };
}

/** `1 escalation`, `2 escalations`. */
const plural = (n: number, noun: string, nouns = `${noun}s`) => `${n} ${n === 1 ? noun : nouns}`;

/** A plain-text table; `numeric` columns are right-aligned. */
function table(header: string[], rows: string[][], numeric: readonly number[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        numeric.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable report: strategies, totals, escalations, hub statistics. */
export function formatReport(report: DemoReport, wallMs: number): string {
  const { contracts, statistics } = report;
  const strategyRows = Object.entries(report.strategies).map(([name, s]) => [
    name,
    String(s.attempts),
    String(s.recoveries),
    String(s.successes),
    `${(s.successRate * 100).toFixed(0)}%`,
    `${s.meanMs.toFixed(0)} ms`,
    `${s.p95Ms.toFixed(0)} ms`,
  ]);
  const escalationRows = report.escalations.map((e) => [
    String(e.createdAt),
    e.node ?? '',
    e.patternId ?? 'unmatched',
    clip(e.message.split('\n')[0] ?? '', 72),
  ]);
  return [
    '',
    `Recovery by strategy (simulated time; the last strategy of each recovery):`,
    table(
      ['strategy', 'steps', 'recoveries', 'succeeded', 'rate', 'mean', 'p95'],
      strategyRows,
      [1, 2, 3, 4, 5, 6],
    ),
    '',
    `Contracts: ${contracts.total} — ${contracts.generated} generated, ${contracts.degraded} degraded, ${contracts.escalated} escalated`,
    `Simulated ${(report.simulatedMs / 1000).toFixed(1)} s of workflow in ${(wallMs / 1000).toFixed(1)} s (seed ${report.options.seed}, fault rate ${report.options.faultRate}).`,
    '',
    `Escalations (${report.escalations.length}):`,
    escalationRows.length === 0
      ? '  none'
      : table(['at ms', 'node', 'pattern', 'message'], escalationRows, [0]),
    '',
    'Hub statistics:',
    `  recoveries ${statistics.totalRecoveries}: ${statistics.successful} succeeded, ${statistics.failed} failed (success rate ${(statistics.successRate * 100).toFixed(1)}%)`,
    `  average recovery ${statistics.averageDurationMs.toFixed(0)} ms; ${plural(statistics.escalations, 'escalation')}`,
    `  recoveries by strategy: ${Object.entries(statistics.strategiesUsed)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  steps by strategy: ${Object.entries(statistics.stepsByStrategy)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  recoveries by error type: ${Object.entries(statistics.byErrorType)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ].join('\n');
}
