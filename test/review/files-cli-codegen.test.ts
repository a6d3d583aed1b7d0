// Review of rx-recovery/files, the CLI and rx-recovery/codegen: each test fails today.
import { spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI from its sources, as a user's `npx rx-recovery` would run the build. */
function cli(args: string[], timeout = 20_000) {
  const { status, stdout, stderr, signal } = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', ...args],
    { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } },
  );
  return { status, stdout, stderr, signal };
}

describe('rx-recovery CLI: bad input is one line on stderr and exit code 2', () => {
  describe('a --redis URL where nothing answers', () => {
    let server: Server;
    let port = 0;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      // Accepts connections and never says anything: a wedged Redis, or another service.
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

    it('escalations list ends with one line and exit 2, not a hang', { timeout: 30_000 }, () => {
      // Today: no output, still running when killed after 15 s.
      const { status, stderr, signal } = cli(
        ['escalations', 'list', '--redis', `redis://127.0.0.1:${port}`],
        15_000,
      );
      expect(signal).toBeNull();
      expect(status).toBe(2);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });
});
