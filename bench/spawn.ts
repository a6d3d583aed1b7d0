import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `tsx` resolves from. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `node [nodeArgs] --import tsx <script> [args]` from the repository root, killing it
 * after `timeoutMs`: whatever the child does (overflow, hang, crash), the bench goes on.
 */
export function runChild(
  script: string,
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly nodeArgs?: readonly string[] },
): Promise<ChildResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The last line of a child's stdout that parses as JSON, or undefined. */
export function lastJsonLine<T>(stdout: string): T | undefined {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line) as T;
    } catch {
      // not the report line
    }
  }
  return undefined;
}
