/**
 * What the README's code blocks take for granted: the user's own functions and streams.
 * test/readme.test.ts compiles every ```ts block of the README against these and the
 * library's sources, so the docs cannot drift from the code.
 */
import type { Observable, Subject } from 'rxjs';
import type {
  EscalationRecord,
  RecoveryHub,
  RecoverySignal,
  RecoveryStatistics,
} from '../../src/index.js';

declare global {
  const contract: { id: string; name: string };
  function generateCode(contract: { id: string; name: string }): Promise<string>;
  function save(code: string): void;
  function alertHuman(error: unknown): void;
  function renderTemplate(name: string): Promise<string>;
  const previousCode: string;
  const tickets: { open(record: EscalationRecord): Promise<void> };
  const recoverySignals$: Subject<RecoverySignal>;
  const log: { info(...args: unknown[]): void };
  const dashboard: { update(stats: RecoveryStatistics): void };
  const contracts$: Observable<{ id: string }>;
  function generate(contract: { id: string }): Observable<string>;
  const reviews$: Observable<string>;
  const hub: RecoveryHub;
  const statsd: {
    increment(name: string, value: number, tags: Readonly<Record<string, string>>): void;
    timing(name: string, value: number, tags: Readonly<Record<string, string>>): void;
    gauge(name: string, value: number, tags: Readonly<Record<string, string>>): void;
  };
  const reducedSchema: { fields: string[] };
  const state: Record<string, unknown>;
  function generateModel(state: Record<string, unknown>): Promise<string>;
  const generatedFiles$: Observable<{ path: string; code: string }>;
  function writeFile(path: string, data: string): Promise<void>;
  const pager: { notify(record: EscalationRecord): void };
}
