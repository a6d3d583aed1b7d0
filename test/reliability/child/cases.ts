import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Checks that must run in a process of their own: resource counts that the test runner's
 * own timers would disturb, and garbage collection (`--expose-gc`). A child script
 * exports its cases and runs them when executed; the vitest suite spawns it and turns each
 * result into a test.
 */

/** One check; it throws (node:assert) when it fails, and may return details to report. */
export interface Case {
  readonly name: string;
  run(): unknown;
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly detail?: unknown;
}

const MARKER = 'RX-RECOVERY-CASES ';

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

/** Runs every case in order and prints the results as one marked JSON line. */
export async function runCases(cases: readonly Case[]): Promise<void> {
  const results: CaseResult[] = [];
  for (const check of cases) {
    try {
      const detail = await check.run();
      results.push({ name: check.name, ok: true, ...(detail === undefined ? {} : { detail }) });
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ name: check.name, ok: false, error: text });
    }
  }
  process.stdout.write(`${MARKER}${JSON.stringify(results)}\n`);
}

/** Runs a child script with tsx (and `flags`), returning its results by case name. */
export function spawnCases(script: string, flags: readonly string[] = []): Map<string, CaseResult> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const path = fileURLToPath(new URL(script, import.meta.url));
  const { stdout, stderr, status } = spawnSync(
    process.execPath,
    [...flags, '--import', 'tsx', path],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (status !== 0 || line === undefined) {
    throw new Error(`${script} exited with ${status}:\n${stderr}\n${stdout}`);
  }
  const results = JSON.parse(line.slice(MARKER.length)) as CaseResult[];
  return new Map(results.map((result) => [result.name, result]));
}
