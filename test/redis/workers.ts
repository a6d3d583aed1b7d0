import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./child/worker.ts', import.meta.url));

/**
 * Something a worker reported on its own: its breaker's state (`state`, at each
 * transition), its hub's waiting escalations (`escalations`, at each change), a paused
 * stream's value and end (`value`, `complete`, `error`).
 */
export interface WorkerEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/**
 * A process of the fleet (test/redis/child/worker.ts, run with tsx), with its own ioredis
 * client: `request(op, args)` runs one of its operations and resolves with the answer.
 */
export class Worker {
  /** What it reported, in order. */
  readonly events: WorkerEvent[] = [];
  /** The same, as they come: what a wait on the worker's state re-checks on. Errors when it exits. */
  readonly events$ = new Subject<WorkerEvent>();
  private next = 0;
  private readonly answers = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk) => {
      this.output += chunk.toString();
    });
    child.stderr?.on('data', (chunk) => {
      this.output += chunk.toString();
    });
    child.on(
      'message',
      (message: { id?: number; ok?: boolean; value?: unknown; error?: string } & WorkerEvent) => {
        if (message.id === undefined) {
          this.events.push(message);
          this.events$.next(message);
          return;
        }
        const answer = this.answers.get(message.id);
        this.answers.delete(message.id);
        if (message.ok) answer?.resolve(message.value);
        else answer?.reject(new Error(`worker: ${message.error}\n${this.output}`));
      },
    );
    child.on('exit', (code, signal) => {
      const exited = new Error(`worker exited (${code ?? signal}):\n${this.output}`);
      for (const answer of this.answers.values()) answer.reject(exited);
      this.answers.clear();
      this.events$.error(exited);
    });
  }

  /** Starts a worker and waits until it is listening. */
  static async start(): Promise<Worker> {
    const child = fork(WORKER, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker = new Worker(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${worker.output}`)));
      const ready = (message: WorkerEvent) => {
        if (message.event === 'ready') {
          child.off('message', ready);
          resolve();
        }
      };
      child.on('message', ready);
    });
    return worker;
  }

  request<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.answers.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Resolves the exit code, or `undefined` when the process is still alive after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null | undefined> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve(child.exitCode);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Ends the process (the test's cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  get log(): string {
    return this.output;
  }
}

/** Starts `n` workers at once. */
export const startWorkers = (n: number) =>
  Promise.all(Array.from({ length: n }, () => Worker.start()));
