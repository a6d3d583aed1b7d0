import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { at, openStream, within } from './helpers.js';

// The command line from its sources (the built one is tested by test/cli.test.ts).
const root = fileURLToPath(new URL('../..', import.meta.url));
const args = (...rest: string[]) => ['--import', 'tsx', 'cli/main.ts', ...rest];

function run(...rest: string[]) {
  return spawnSync(process.execPath, args(...rest), { cwd: root, encoding: 'utf8' });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('rx-recovery dashboard', () => {
  // Each case starts a process: they run side by side.
  it.concurrent.each([
    [
      ['dashboard', '--demo', '--redis', 'redis://127.0.0.1:1'],
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .+$/,
    ],
    [
      ['dashboard'],
      "dashboard needs something to show: add --demo (the code-generation workflow, live) or --redis URL (a fleet's shared breakers, budgets and waiting escalations); an application serves its own hub with serveDashboard from rx-recovery/dashboard",
    ],
    [
      ['dashboard', '--demo', '--prefix', 'codegen'],
      '--prefix goes with --redis URL: it names the keys of a shared store',
    ],
    [['dashboard', '--demo', '--port', 'nope'], '--port must be a whole number, got "nope"'],
    [['dashboard', '--demo', '--port', '70000'], '--port must be between 0 and 65535, got 70000'],
    [['dashboard', '--demo', 'extra'], 'dashboard takes no arguments, got "extra"'],
    [['dashboard', '--json'], 'dashboard does not take --json'],
  ])(
    '%j: one line on stderr, exit code 2',
    (argv, message: string | RegExp) => {
      const { status, stdout, stderr } = run(...argv);
      if (message instanceof RegExp)
        expect(stderr.replace(/^rx-recovery: |\n$/g, '')).toMatch(message);
      else expect(stderr).toBe(`rx-recovery: ${message}\n`);
      expect(stdout).toBe('');
      expect(status).toBe(2);
    },
    30_000,
  );

  it('lists the command in the usage', () => {
    const { stdout } = run('help');
    expect(stdout).toMatch(/^ {2}dashboard {17}a live page of recovery on 127\.0\.0\.1/m);
    expect(stdout).toContain('--demo');
    expect(stdout).toMatch(
      /--redis URL {13}show the fleet sharing a Redis store: every process's shared\n/,
    );
  }, 30_000);

  it('--demo: prints the link, serves the moving demo, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, args('dashboard', '--demo', '--port', '0'), {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const link = new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const match =
          /^rx-recovery dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})$/m.exec(
            stdout,
          );
        if (match?.[1] !== undefined) resolve(match[1]);
      });
    });
    const url = await within(link, 20_000, `the link on stdout (stderr: ${stderr})`);
    expect(stdout).toContain('Ctrl-C stops');
    const unauthorized = await fetch(at(url, '/api/state'));
    expect(unauthorized.status).toBe(401);
    const stream = await openStream(
      `${at(url, '/events')}?token=${new URL(url).searchParams.get('token')}`,
    );
    const first = await stream.next((u) => u.full, 'a whole picture');
    expect(first.hub).toBe('codegen-demo');
    expect(first.breakers?.map((b) => b.name)).toEqual(['model-api']);
    expect(first.budgets?.map((b) => b.name)).toEqual(['model-api']);
    // The workflow runs in real time: recoveries come within seconds.
    await stream.next((u) => (u.statistics?.totalRecoveries ?? 0) > 0, 'a first recovery', 20_000);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = await within(exited, 10_000, 'the dashboard exits on SIGINT');
    expect(code).toBe(0);
    await within(stream.ended, 5000, 'the event stream ends');
    expect(stderr).toBe('');
  }, 60_000);
});
