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
/** How long a server may take to say it is ready before the start is a failure. */
const START_LIMIT_MS = 5000;
/** How long a stopped server may linger before it is killed. */
const STOP_LIMIT_MS = 3000;
/** What redis-server logs once it accepts connections. */
const READY = 'Ready to accept connections';

/** The servers this process started and has not seen exit, with their ports. */
const running = new Map<ChildProcess, number>();

/** The ports of the servers this process started that still run. */
export const runningPorts = (): number[] => [...running.values()];

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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `redis-server --port <port> --bind 127.0.0.1 --save '' --appendonly no` (no
 * persistence: a restart starts empty) and waits until it logs that it is ready — an
 * event, not a polling loop — then checks it with one PING.
 * @throws when the binary is missing, the server exits, or it is not ready within
 * {@link START_LIMIT_MS}.
 */
export async function startRedis(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    BINARY,
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let limit: NodeJS.Timeout | undefined;
  // Settles once: ready (the log line), the process failed or exited, or the time limit.
  const started = await new Promise<Error | undefined>((settle) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) settle(undefined);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', (error) => settle(error));
    child.once('exit', (code, signal) =>
      settle(new Error(`${BINARY} exited (${code ?? signal}):\n${output.slice(-2000)}`)),
    );
    limit = setTimeout(
      () => settle(new Error(`${BINARY} was not ready within ${START_LIMIT_MS} ms:\n${output}`)),
      START_LIMIT_MS,
    );
  });
  clearTimeout(limit);
  const error = started ?? ((await ping(chosen)) ? undefined : new Error(`no PONG on ${chosen}`));
  if (error !== undefined) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid as number;
  running.set(child, chosen);
  child.once('exit', () => running.delete(child));
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
      // Killed only if it lingers: the timer is a limit, cleared as soon as it is gone.
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
      await exited(child);
      clearTimeout(kill);
    },
  };
}
