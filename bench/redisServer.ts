import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * A throw-away `redis-server` for the redis scenario, as the tests start theirs
 * (test/redis/server.ts): a free loopback port, persistence off (`--save '' --appendonly
 * no`). The bench stops it when the scenario ends, and kills it if the bench process
 * exits or is interrupted first.
 */
export interface BenchRedisServer {
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (SIGKILL if it lingers over 3 s); waits for it to be gone. Idempotent. */
  stop(): Promise<void>;
}

/** The binary: `REDIS_SERVER`, or `redis-server` on the PATH. */
export const REDIS_BINARY = process.env.REDIS_SERVER ?? 'redis-server';

const PINGS = 100;
const PING_EVERY_MS = 50;
const ATTEMPTS = 3;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** One PING over a raw socket: true on `+PONG`. */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

function gone(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess): Promise<void> {
  if (gone(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Kills `child` if this process exits or is interrupted (SIGINT, SIGTERM) before
 * `stop()`: the signal is then raised again, so the bench still dies of it.
 * @returns What removes the hooks.
 */
function killWithUs(child: ChildProcess): () => void {
  const onExit = () => {
    if (!gone(child)) child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    remove();
    process.kill(process.pid, signal);
  };
  const remove = () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return remove;
}

/** One try on one port: the server, or why it did not start. */
async function startOn(port: number): Promise<BenchRedisServer | Error> {
  const child = spawn(
    REDIS_BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const unhook = killWithUs(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk.toString();
  });
  let error: Error | undefined;
  child.once('error', (reason) => {
    error = reason;
  });
  child.once('exit', (code, signal) => {
    error ??= new Error(`${REDIS_BINARY} exited (${code ?? signal}): ${output.trim().slice(-500)}`);
  });
  let ready = false;
  for (let attempt = 0; attempt < PINGS && !ready && error === undefined; attempt++) {
    ready = await ping(port);
    if (!ready) await pause(PING_EVERY_MS);
  }
  if (!ready) {
    if (!gone(child) && child.pid !== undefined) child.kill('SIGKILL');
    await Promise.race([exited(child), pause(1000)]);
    unhook();
    return error ?? new Error(`${REDIS_BINARY} did not answer PING on port ${port}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    pid: child.pid as number,
    stop() {
      stopping ??= (async () => {
        if (!gone(child)) {
          child.kill('SIGTERM');
          const late = await Promise.race([
            exited(child).then(() => false),
            pause(3000).then(() => true),
          ]);
          if (late) {
            child.kill('SIGKILL');
            await exited(child);
          }
        }
        unhook();
      })();
      return stopping;
    },
  };
}

/**
 * Starts `redis-server --port <free port> --bind 127.0.0.1 --save '' --appendonly no` and
 * waits until it answers PING; a port taken meanwhile is tried again with another.
 * @returns The server, or why it could not be started (the binary missing: `ENOENT`).
 */
export async function startRedisServer(): Promise<BenchRedisServer | Error> {
  let last: Error = new Error('not tried');
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const result = await startOn(await freePort());
    if (!(result instanceof Error)) return result;
    last = result;
    if ((result as NodeJS.ErrnoException).code === 'ENOENT') break; // no binary: no use trying again
  }
  return last;
}
