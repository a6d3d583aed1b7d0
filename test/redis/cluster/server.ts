import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../server.js';
import { onNode } from './helpers.js';

/**
 * A real Redis Cluster for the cluster suite: `redis-server` processes (Debian's package)
 * with `--cluster-enabled yes`, each on free loopback ports (its client port and its
 * cluster bus port) with a temporary directory of its own, joined by
 * `redis-cli --cluster create … --cluster-replicas 0`: every node a master.
 *
 * Every wait is for an event — a line a server logs, a process that exits — bounded by a
 * limit that fails it with what the servers said; nothing polls or sleeps.
 */
export interface ClusterNode {
  readonly port: number;
  /** The server process's pid. */
  readonly pid: number;
  /**
   * Resolves when the server logs a line containing `text` after the call (e.g.
   * `Cluster state changed: fail`, when it has given up on a killed master).
   * @throws when the server exits first, or does not log it within `limitMs`.
   */
  logs(text: string, limitMs?: number): Promise<void>;
  /** Kills it now, as a crash would (SIGKILL), and waits for it to be gone. */
  crash(): Promise<void>;
}

export interface RedisCluster {
  /** The masters, in the order `redis-cli --cluster create` gave them slots (0…). */
  readonly masters: readonly ClusterNode[];
  /** Stops every server (SIGTERM, SIGKILL if one lingers) and removes the directories. */
  stop(): Promise<void>;
}

const SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const CLI = process.env.REDIS_CLI ?? 'redis-cli';
/** How long a start step (a server ready, the cluster created, its state ok) may take. */
const STEP_LIMIT_MS = 10_000;
/** How long a stopped server may linger before it is killed. */
const STOP_LIMIT_MS = 3000;
/** What redis-server logs once it accepts connections. */
const READY = 'Ready to accept connections';
/** What a cluster node logs once it serves every slot. */
const CLUSTER_OK = 'Cluster state changed: ok';
/**
 * How long a node may go unanswered before it is suspected (`cluster-node-timeout`): low,
 * so that a killed master is declared failed soon; Redis clamps the delay before a master
 * serves after a start to at least 500 ms.
 */
export const NODE_TIMEOUT_MS = 1000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** One `redis-server --cluster-enabled yes` process and its log. */
async function startNode(dir: string): Promise<ClusterNode & { stop(): Promise<void> }> {
  const [port, bus] = [await freePort(), await freePort()];
  // biome-ignore format: one option a line
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes',
    '--cluster-port', String(bus),
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
  ];
  const child = spawn(SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  /** Waits on the log: each is told of every chunk, and of the exit. */
  const waiters = new Set<(ended: boolean) => void>();
  const read = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) waiter(false);
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  let failure: Error | undefined;
  child.once('error', (error) => {
    failure = error;
    for (const waiter of [...waiters]) waiter(true);
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`${SERVER} on ${port} exited (${code ?? signal})`);
    for (const waiter of [...waiters]) waiter(true);
  });

  const logs = (text: string, limitMs = STEP_LIMIT_MS, from = output.length): Promise<void> =>
    new Promise((resolve, reject) => {
      let limit: NodeJS.Timeout | undefined;
      const waiter = (ended: boolean) => {
        const error = output.includes(text, from)
          ? undefined
          : ended
            ? new Error(`${failure?.message}, before it logged "${text}":\n${output.slice(-2000)}`)
            : null;
        if (error === null) return;
        waiters.delete(waiter);
        clearTimeout(limit);
        if (error === undefined) resolve();
        else reject(error);
      };
      waiters.add(waiter);
      // A limit, not a pause: cleared as soon as the line comes.
      limit = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `${SERVER} on ${port} did not log "${text}" within ${limitMs} ms:\n${output.slice(-2000)}`,
          ),
        );
      }, limitMs);
      waiter(failure !== undefined);
    });

  try {
    await logs(READY, STEP_LIMIT_MS, 0);
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  }
  return {
    port,
    pid: child.pid as number,
    logs: (text, limitMs) => logs(text, limitMs),
    async crash() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // Killed only if it lingers: the timer is a limit, cleared as soon as it is gone.
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
      await exited(child);
      clearTimeout(kill);
    },
  };
}

/** Runs `redis-cli` with `args`; rejects with what it printed when it fails. */
function cli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CLI, args, { timeout: STEP_LIMIT_MS }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${CLI} ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
    });
  });
}

/**
 * Starts `size` cluster nodes, creates the cluster (`--cluster-replicas 0`: every node a
 * master with a third of the slots), and waits until every node has logged that its
 * cluster state is ok — then checks it once with CLUSTER INFO on each.
 * @throws when a binary is missing, a server exits or fails to start, or the cluster is
 * not ok within the step limit; whatever was started is stopped first.
 */
export async function startCluster(size = 3): Promise<RedisCluster> {
  const root = await mkdtemp(join(tmpdir(), 'rx-recovery-cluster-'));
  const nodes: Awaited<ReturnType<typeof startNode>>[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (let n = 0; n < size; n++) {
      const dir = join(root, `node-${n}`);
      await mkdir(dir);
      nodes.push(await startNode(dir));
    }
    const states = nodes.map((node) => node.logs(CLUSTER_OK));
    // Unobserved until awaited below: a node that fails now must not be unhandled.
    for (const state of states) state.catch(() => {});
    await cli([
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await Promise.all(states);
    for (const node of nodes) {
      const info = await clusterInfo(node.port);
      if (!info.includes('cluster_state:ok')) {
        throw new Error(`127.0.0.1:${node.port} logged "${CLUSTER_OK}" but says:\n${info}`);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { masters: nodes, stop };
}

/** CLUSTER INFO of one node, over a plain connection of its own (closed when it resolves). */
async function clusterInfo(port: number): Promise<string> {
  return String(await onNode(port, (node) => node.call('CLUSTER', 'INFO')));
}
