import type { TestProject } from 'vitest/node';
import { startRedis } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The port of the shared `redis-server`; 0 when it could not be started (outside CI only). */
    redisPort: number;
    /** Why it could not be started, when it could not. */
    redisUnavailable: string;
  }
}

/**
 * Starts one `redis-server` on a free loopback port for the Redis suites (test/redis) and
 * stops it after the run. When it cannot be started, CI (`process.env.CI`) fails the run;
 * a local run skips the Redis suites, saying so.
 */
export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  try {
    const server = await startRedis();
    project.provide('redisPort', server.port);
    project.provide('redisUnavailable', '');
    return () => server.stop();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI) {
      throw new Error(
        `redis-server could not be started, and CI runs the Redis suites (test/redis): ${reason}`,
      );
    }
    console.warn(
      `\n[test/redis] redis-server could not be started; the Redis suites are SKIPPED.\n` +
        `  ${reason.split('\n')[0]}\n  Install it (apt-get install redis-server) or set REDIS_SERVER to its path.\n`,
    );
    project.provide('redisPort', 0);
    project.provide('redisUnavailable', reason);
    return undefined;
  }
}
