import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, Subject } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRecoveryHub, withRecovery } from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { quorumError } from '../helpers/errors.js';
import { connect, describeRedis, redisPort, uniquePrefix, waitFor } from './helpers.js';

// `rx-recovery escalations list|resolve --redis URL` against a real redis-server: this test
// process holds a stream paused on an escalation; the CLI, another process, lists and
// resolves it. The CLI runs from the sources through tsx (a process of its own).
const root = fileURLToPath(new URL('../..', import.meta.url));
const url = () => `redis://127.0.0.1:${redisPort}`;

function cli(
  ...args: string[]
): Promise<{ status: number | null | 'running'; stdout: string; stderr: string }> {
  return cliUntil(args, () => false);
}

/** As cli, but a child still running once `stuck` holds of its output is ended: 'running'. */
function cliUntil(
  args: string[],
  stuck: (output: { stdout: string; stderr: string }) => boolean,
): Promise<{ status: number | null | 'running'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (!stuck({ stdout, stderr })) return;
      resolve({ status: 'running', stdout, stderr });
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A stream in this process, paused on an escalation listed in Redis under `prefix`. */
async function pausedStream(prefix: string) {
  const client = connect();
  const store = createRedisStore({ client, prefix, syncMs: 100, flushMs: 20 });
  const hub = createRecoveryHub({ store });
  cleanup.push(
    () => client.quit(),
    () => store.close(),
  );
  const failures = new Subject<string>();
  const result = firstValueFrom(
    failures.pipe(
      withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }),
    ),
  );
  failures.error(quorumError);
  const [record] = hub.pendingEscalations();
  expect(record?.pending).toBe(true);
  await store.sync();
  return { id: record?.id as string, result, hub };
}

describeRedis('rx-recovery escalations (CLI, against a real Redis)', () => {
  it('lists a waiting escalation of another process, and resolves it with a value', async () => {
    const prefix = uniquePrefix();
    const { id, result } = await pausedStream(prefix);
    const listed = await cli('escalations', 'list', '--redis', url(), '--prefix', prefix);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    const [header, row] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^id\s+age\s+workflow\s+node\s+pattern\s+message$/);
    expect(row).toContain(id);
    expect(row).toContain('quorum_consensus_failed');
    expect(row).toContain('Quorum not reached');

    const resolved = await cli(
      'escalations',
      'resolve',
      id,
      '--redis',
      url(),
      '--prefix',
      prefix,
      '--value',
      '"approved by hand"',
    );
    expect(resolved).toMatchObject({ status: 0, stdout: `resolved ${id}: value\n`, stderr: '' });
    await expect(result).resolves.toBe('approved by hand');
  }, 60_000);

  it('refuses an unknown id, invalid JSON, two actions and an unreachable Redis in one line, exit 2', async () => {
    const prefix = uniquePrefix();
    const { id, hub } = await pausedStream(prefix);
    const cases: Array<[string[], RegExp]> = [
      [
        ['escalations', 'resolve', 'nope', '--redis', url(), '--prefix', prefix, '--retry'],
        /^rx-recovery: no escalation waits under id nope \(run: rx-recovery escalations list\)\n$/,
      ],
      [
        ['escalations', 'resolve', id, '--redis', url(), '--prefix', prefix, '--value', '{oops'],
        /^rx-recovery: --value must be JSON: .+\n$/,
      ],
      [
        ['escalations', 'resolve', id, '--redis', url(), '--retry', '--abort'],
        /^rx-recovery: escalations resolve takes exactly one of .+, got --retry and --abort\n$/,
      ],
      [
        ['escalations', 'list', '--redis', 'redis://127.0.0.1:1'],
        /^rx-recovery: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .+\n$/,
      ],
      [['escalations', 'list'], /^rx-recovery: escalations needs --redis URL: .+\n$/],
      // A database the server does not have: ioredis only emits an error and goes on in 0.
      [
        ['escalations', 'list', '--redis', `${url()}/99`],
        /^rx-recovery: Redis at redis:\/\/127\.0\.0\.1:\d+\/99 refused SELECT 99: ERR DB index is out of range\n$/,
      ],
      // A prefix the store refuses, once connected: one line, and the client closed (the
      // dashboard used to hang on its open connection).
      [
        ['escalations', 'list', '--redis', url(), '--prefix', 'a{b'],
        /^rx-recovery: --prefix: must be a non-empty string without \{ or \}\n$/,
      ],
      [
        ['dashboard', '--redis', url(), '--prefix', 'a{b', '--port', '0'],
        /^rx-recovery: --prefix: must be a non-empty string without \{ or \}\n$/,
      ],
    ];
    for (const [args, expected] of cases) {
      const { status, stdout, stderr } = await cli(...args);
      expect(status, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(expected);
    }
    // None of it touched the waiting stream.
    await waitFor(() => hub.pendingEscalations().length === 1, {
      on: hub.escalations$,
      what: 'still waiting',
    });
  }, 90_000);
});

describe('rx-recovery --redis URL where something listens and never answers', () => {
  // Accepts connections and never says anything: a wedged Redis, or another service. The
  // TCP connect succeeds, so ioredis's connectTimeout never fires.
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('escalations list, dashboard and demo --fleet end with one line and exit 2, not a hang', async () => {
    const redis = `redis://127.0.0.1:${port}`;
    // Both at once; each child is awaited to its exit.
    const [list, dashboard, fleet] = await Promise.all([
      cli('escalations', 'list', '--redis', redis),
      cli('dashboard', '--redis', redis, '--port', '0'),
      cli('demo', '--fleet', '--workers', '1', '--callers', '1', '--redis', redis),
    ]);
    for (const { status, stdout, stderr } of [list, dashboard, fleet]) {
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`rx-recovery: Redis at ${redis} did not answer within 5 s\n`);
    }
    expect(sockets.size).toBe(3);
  }, 30_000);
});

describe('rx-recovery demo --fleet --redis URL where nothing answers', () => {
  it('one line on stderr, exit 2: no worker starts, no internal error, no run that never ends', async () => {
    // A loopback port where nothing listens.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const { port } = free.address() as { port: number };
    await new Promise<void>((resolve) => free.close(() => resolve()));
    // It used to say "internal error" and tick on for ever: stuck after 10 s of ticks.
    const { status, stdout, stderr } = await cliUntil(
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
      (output) =>
        output.stderr.includes('internal error') &&
        (output.stdout.match(/ requests · service /g) ?? []).length >= 10,
    );
    expect({ status, stdout, stderrLines: stderr.trim().split('\n') }).toEqual({
      status: 2,
      stdout: '',
      stderrLines: [expect.stringMatching(/^rx-recovery: .*Redis.*127\.0\.0\.1/)],
    });
  }, 60_000);
});
