import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * A real `redis-server` (Debian's package) on a loopback port, for the Redis suites: the
 * shared one of the global setup, and private ones for the fault tests (killed, paused,
 * restarted on the same port).
 */
export interface RedisServer {
  readonly port: number;
  /** The server process's pid (for SIGSTOP / SIGCONT). */
  readonly pid: number;
  /** Kills it now, as a crash would (SIGKILL), and waits for it to be gone. */
  crash(): Promise<void>;
  /** Stops it (SIGTERM after SIGCONT, SIGKILL if it lingers), and waits for it to be gone. */
  stop(): Promise<void>;
}

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';
const PINGS = 100;
const PING_EVERY_MS = 50;

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
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
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
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

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `redis-server --port <port> --bind 127.0.0.1 --save '' --appendonly no` (no
 * persistence: a restart starts empty) and waits for it with at most {@link PINGS} PINGs.
 * @throws when the binary is missing, the server exits, or it never answers.
 */
export async function startRedis(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    BINARY,
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk.toString();
  });
  const failed = new Promise<Error>((resolve) => {
    child.once('error', (error) => resolve(error));
    child.once('exit', (code, signal) =>
      resolve(new Error(`${BINARY} exited (${code ?? signal}):\n${output.slice(-2000)}`)),
    );
  });
  let ready = false;
  let error: Error | undefined;
  void failed.then((reason) => {
    error = reason;
  });
  for (let attempt = 0; attempt < PINGS && !ready && error === undefined; attempt++) {
    ready = await ping(chosen);
    if (!ready) await pause(PING_EVERY_MS);
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw error ?? new Error(`${BINARY} did not answer PING on port ${chosen}:\n${output}`);
  }
  const pid = child.pid as number;
  return {
    port: chosen,
    pid,
    async crash() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const gone = exited(child);
      const late = await Promise.race([gone.then(() => false), pause(3000).then(() => true)]);
      if (late) {
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}
