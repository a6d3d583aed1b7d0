import { startRedis } from '../test/redis/server.js';

/**
 * A throw-away `redis-server` for the redis scenario: the tests' own launcher
 * (test/redis/server.ts: a free loopback port, persistence off, ready when it answers
 * PING), plus what a benchmark needs besides — another port when one was taken meanwhile,
 * and a server killed if the bench exits or is interrupted before it stops it.
 */
export interface BenchRedisServer {
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (SIGKILL if it lingers); waits for it to be gone. Idempotent. */
  stop(): Promise<void>;
}

/** The binary: `REDIS_SERVER`, or `redis-server` on the PATH (as the tests read it). */
export const REDIS_BINARY = process.env.REDIS_SERVER ?? 'redis-server';

const ATTEMPTS = 3;

/**
 * Kills the server `pid` if this process exits or is interrupted (SIGINT, SIGTERM) first;
 * the signal is then raised again, so the bench still dies of it.
 * @returns What removes the hooks.
 */
function killWithUs(pid: number): () => void {
  const onExit = () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
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

/**
 * Starts a server and waits until it answers PING; a port taken meanwhile is tried again.
 * @returns The server, or why it could not be started (the binary missing: `ENOENT`).
 */
export async function startRedisServer(): Promise<BenchRedisServer | Error> {
  let last: Error = new Error('not tried');
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const server = await startRedis();
      const unhook = killWithUs(server.pid);
      let stopping: Promise<void> | undefined;
      return {
        port: server.port,
        pid: server.pid,
        stop() {
          stopping ??= server.stop().finally(unhook);
          return stopping;
        },
      };
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
      if ((last as NodeJS.ErrnoException).code === 'ENOENT') break; // no binary: no use trying again
    }
  }
  return last;
}
