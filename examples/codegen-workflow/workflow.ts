/**
 * A simulated code-generation workflow, recovered by rx-recovery: a stream of contracts,
 * each through five stages written as observables and composed with concatMap/mergeMap.
 */
import {
  catchError,
  concatMap,
  defer,
  map,
  mergeMap,
  type Observable,
  of,
  range,
  type SchedulerLike,
  throwError,
  timer,
} from 'rxjs';
import { asyncKeywordCorrection } from '../../src/codegen.js';
import {
  type EscalationRecord,
  injectFaults,
  isEscalationError,
  type RecoveryHub,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { contractSeed, decide, forgetsAsync, type Stage } from './faults.js';

export interface WorkflowOptions {
  readonly contracts: number;
  readonly faultRate: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly scheduler: SchedulerLike;
  readonly hub: RecoveryHub;
  /** Told of every escalation, as an on-call rota would be. */
  readonly onEscalate: (record: EscalationRecord) => void;
  /**
   * Quorum reviews that escalate wait for a person (`escalation.await`) instead of ending
   * the contract: whoever resolves them through the hub resumes the stream in place.
   */
  readonly awaitHuman?: boolean;
}

/** How one contract ended. */
export interface ContractOutcome {
  readonly contract: string;
  readonly status: 'generated' | 'degraded' | 'escalated';
  /** The stages served by a degradation level or an alternative. */
  readonly fallbacks: readonly string[];
}

interface Artifact {
  readonly contract: string;
  readonly code: string;
  readonly fallbacks: readonly string[];
}

/**
 * One stage as a cold observable: each subscription is an attempt that waits its latency
 * on the scheduler, then emits or fails. `variant` names a different source for the same
 * stage (a simpler template, a reduced model), which fails on its own dice.
 */
function attempt<T>(
  options: WorkflowOptions,
  contract: string,
  stage: Stage,
  value: () => T,
  variant = 'primary',
): Observable<T> {
  let attempts = 0;
  return defer(() => {
    attempts += 1;
    const key = `${contract}/${variant}`;
    const { latencyMs, error } = decide(options.seed, options.faultRate, key, stage, attempts);
    return timer(latencyMs, options.scheduler).pipe(
      concatMap(() => (error === undefined ? of(value()) : throwError(() => error))),
    );
  });
}

const serviceCode = (contract: string, awaitWithoutAsync: boolean) =>
  [
    `export class ${contract.replace(/\W/g, '')}Client {`,
    awaitWithoutAsync ? '  load(id: string) {' : '  async load(id: string) {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: generated source text
    '    const response = await fetch(`/api/items/${id}`);',
    '    return response.json();',
    '  }',
    '}',
  ].join('\n');

/** Compiles generated code: a missing `async` fails as V8 reports it, with the code on `source`. */
function compile(artifact: Artifact): Observable<Artifact> {
  if (/^\s*load\(id: string\) \{/m.test(artifact.code)) {
    return throwError(() =>
      Object.assign(
        new SyntaxError(
          'await is only valid in async functions and the top level bodies of modules',
        ),
        {
          source: artifact.code,
        },
      ),
    );
  }
  return of(artifact);
}

/** Runs the workflow; emits one outcome per contract, in completion order. */
export function runWorkflow(options: WorkflowOptions): Observable<ContractOutcome> {
  const { scheduler, hub } = options;
  const recovery = <T>(
    contract: string,
    nodeName: string,
    extra: Parameters<typeof withRecovery<T>>[1] = {},
  ) =>
    withRecovery<T>(undefined, {
      hub,
      scheduler,
      context: { workflowId: 'codegen-demo', nodeName, correlationId: `${contract}/${nodeName}` },
      unmatched: ['retry', 'escalate'],
      escalation: { onEscalate: options.onEscalate },
      ...extra,
    });
  const fallback = (artifact: Artifact, stage: string): Artifact => ({
    ...artifact,
    fallbacks: [...artifact.fallbacks, stage],
  });

  const pipeline = (index: number): Observable<ContractOutcome> => {
    const contract = `contract-${String(index).padStart(3, '0')}`;
    const start: Artifact = { contract, code: '', fallbacks: [] };
    return of(start).pipe(
      concatMap((artifact) =>
        attempt(options, contract, 'parse', () => artifact).pipe(
          recovery<Artifact>(contract, 'parse_contract', {
            degradation: {
              levels: [{ name: 'minimal contract', value: fallback(artifact, 'parse') }],
            },
          }),
        ),
      ),
      concatMap((artifact) =>
        attempt(options, contract, 'render', () => artifact).pipe(
          recovery<Artifact>(contract, 'render_template', {
            alternatives: {
              template: [
                () =>
                  attempt(
                    options,
                    contract,
                    'render',
                    () => fallback(artifact, 'render'),
                    'simple template',
                  ),
              ],
            },
            degradation: {
              levels: [{ name: 'plain skeleton', value: fallback(artifact, 'render') }],
            },
          }),
        ),
      ),
      concatMap((artifact) =>
        attempt(options, contract, 'generate', () => ({
          ...artifact,
          code: serviceCode(contract, forgetsAsync(options.seed, options.faultRate, contract)),
        })).pipe(
          // The model endpoint's network is flaky too: transient resets, injected reproducibly.
          injectFaults({
            rate: options.faultRate * 0.3,
            seed: contractSeed(options.seed, contract),
            errors: [() => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
            delayMs: 50,
            scheduler,
          }),
          concatMap(compile),
          recovery<Artifact | string>(contract, 'generate_code', {
            // Generated code that forgot an `async` is repaired, and the string goes on.
            corrections: [asyncKeywordCorrection],
            alternatives: {
              import: [
                () => of(fallback({ ...artifact, code: serviceCode(contract, false) }, 'generate')),
              ],
            },
          }),
          map((generated) =>
            typeof generated === 'string' ? { ...artifact, code: generated } : generated,
          ),
        ),
      ),
      concatMap((artifact) =>
        attempt(options, contract, 'validate', () => artifact).pipe(
          recovery<Artifact>(contract, 'validate', {
            degradation: {
              levels: [
                {
                  name: 'reduced model',
                  source: () =>
                    attempt(
                      options,
                      contract,
                      'validate',
                      () => fallback(artifact, 'validate'),
                      'reduced model',
                    ),
                },
                {
                  name: 'stub',
                  value: fallback({ ...artifact, code: '// TODO: implement' }, 'validate'),
                },
              ],
            },
          }),
        ),
      ),
      concatMap((artifact) =>
        attempt(options, contract, 'review', () => artifact).pipe(
          recovery<Artifact>(
            contract,
            'quorum_review',
            options.awaitHuman === true
              ? { escalation: { onEscalate: options.onEscalate, await: { timeoutMs: 60_000 } } }
              : {},
          ),
        ),
      ),
      map(
        (artifact): ContractOutcome => ({
          contract,
          status: artifact.fallbacks.length > 0 ? 'degraded' : 'generated',
          fallbacks: artifact.fallbacks,
        }),
      ),
      catchError((error: unknown) => {
        if (!isEscalationError(error)) return throwError(() => error);
        return of<ContractOutcome>({ contract, status: 'escalated', fallbacks: [] });
      }),
    );
  };

  return range(1, options.contracts).pipe(mergeMap(pipeline, options.concurrency));
}

/** Signals of a run, kept for the report: the hub aggregates, this keeps what tables need. */
export function signalRecorder() {
  const durations = new Map<string, number[]>();
  const attempts = new Map<string, number>();
  const successes = new Map<string, number>();
  const record = (signal: RecoverySignal) => {
    if (signal.type === 'recovery_attempt') {
      attempts.set(signal.strategy, (attempts.get(signal.strategy) ?? 0) + 1);
    } else if (signal.type === 'recovery_completed') {
      const { strategyUsed, success, durationMs } = signal.result;
      if (success) successes.set(strategyUsed, (successes.get(strategyUsed) ?? 0) + 1);
      const list = durations.get(strategyUsed) ?? [];
      list.push(durationMs);
      durations.set(strategyUsed, list);
    }
  };
  return { record, durations, attempts, successes };
}
