/**
 * Review of what a new user runs first: `rx-recovery demo` (and `--fleet`) and the
 * dashboard. Each test is a confirmed bug and fails today.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { serveDashboard } from '../../src/dashboard.js';
import { createRecoveryHub } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Process groups this file started (each CLI is spawned detached: its own group). */
const groups: number[] = [];
afterEach(() => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Settles on exit, or when `until` holds (then the process is still running). */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'running'>;
  /** Settles when every stdio pipe has closed: the CLI and every process that inherited them. */
  readonly closed: Promise<void>;
}

/** Spawns the CLI from the sources, as test/cli.test.ts does, in a process group of its own. */
function cli(args: string[], until?: (run: Run) => boolean): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  groups.push(child.pid as number);
  let settle: (value: Awaited<Run['ended']>) => void = () => {};
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    ended: new Promise((resolve) => {
      settle = resolve;
    }),
    closed: new Promise((resolve) => child.on('close', () => resolve())),
  };
  const check = () => {
    if (until?.(run) === true) settle('running');
  };
  child.stdout?.on('data', (chunk) => {
    run.stdout += chunk;
    check();
  });
  child.stderr?.on('data', (chunk) => {
    run.stderr += chunk;
    check();
  });
  child.on('exit', (code, signal) => settle({ code, signal }));
  return run;
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Live (not zombie) children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('rx-recovery demo --fleet', () => {
  it('--redis URL where nothing answers: one line on stderr, exit 2 — it neither reports an internal error nor runs forever', async () => {
    // README, "The rx-recovery command": a --redis URL where nothing answers gets one line on
    // stderr and exit code 2. Today every worker prints its own line (the unprotected run's
    // too, which needs no Redis), the parent says "internal error", and it never exits: its
    // progress ticker and the local service outlive the failed run.
    const port = await closedPort();
    const ticksAfterFailure = (run: Run) => {
      const failedAt = run.stderr.indexOf('internal error');
      if (failedAt === -1) return false;
      return (run.stdout.match(/ requests · service /g) ?? []).length >= 10; // ≥ 10 s of ticks
    };
    const run = cli(
      [
        'demo',
        '--fleet',
        '--workers',
        '1',
        '--callers',
        '1',
        '--redis',
        `redis://127.0.0.1:${port}`,
      ],
      ticksAfterFailure,
    );
    const ended = await run.ended;
    expect({ ended, stderrLines: run.stderr.trim().split('\n') }).toEqual({
      ended: { code: 2, signal: null },
      stderrLines: [expect.stringMatching(/^rx-recovery: .*Redis.*127\.0\.0\.1/)],
    });
  }, 60_000);

  it('refuses --json (and the workflow demo options) instead of ignoring them, as it refuses --workers without --fleet', async () => {
    // `demo --workers 2` is refused ("--workers goes with --fleet"); `demo --fleet --json`
    // runs the whole fleet and prints the human table, not JSON.
    const run = cli(['demo', '--fleet', '--json', '--workers', '1', '--callers', '1'], (r) =>
      r.stdout.startsWith('rx-recovery demo --fleet:'),
    );
    const ended = await run.ended;
    expect(ended).toEqual({ code: 2, signal: null });
    expect(run.stderr).toMatch(/^rx-recovery: .*--json.*\n$/);
  }, 30_000);

  it('SIGINT to the command ends its worker processes too: none is left running, no stack trace', async () => {
    // The dashboard command handles SIGINT/SIGTERM and closes what it started; demo --fleet
    // does not: `kill -INT <pid>` (a supervisor, `timeout -s INT`) ends the parent and leaves
    // its workers calling a service that is gone, each ending with an EPIPE stack trace.
    const run = cli(['demo', '--fleet', '--workers', '2', '--callers', '1'], (r) =>
      / requests · service /.test(r.stdout),
    );
    expect(await run.ended).toBe('running');
    const parent = run.child.pid as number;
    const workers = childrenOf(parent);
    expect(workers).toHaveLength(2);
    const exited = new Promise((resolve) => run.child.on('exit', resolve));
    run.child.kill('SIGINT');
    await exited;
    const leftover = workers.filter(alive);
    await run.closed; // every process that holds the CLI's stdout and stderr has ended
    expect({ leftover, stderr: run.stderr }).toEqual({ leftover: [], stderr: '' });
  }, 60_000);
});

describe('serveDashboard', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'on port 80, its own url opens: a browser sends "Host: 127.0.0.1" (RFC 9110 omits the default port)',
    async () => {
      const dashboard = await serveDashboard(createRecoveryHub({ name: 'port-80' }), { port: 80 });
      try {
        // fetch, like a browser, sends Host without ":80"; the server answers 403
        // "host: must be 127.0.0.1:80" to the page, its event stream and every action.
        const page = await fetch(dashboard.url);
        expect(page.status).toBe(200);
        const state = await fetch(dashboard.url.replace('/?', '/api/state?'));
        expect(state.status).toBe(200);
      } finally {
        await dashboard.close();
      }
    },
  );
});
