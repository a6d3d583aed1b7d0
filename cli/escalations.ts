/**
 * `rx-recovery escalations list|resolve --redis URL`: the escalations waiting for a person
 * anywhere in a fleet that shares a Redis store, and how a person resolves one from a
 * terminal. Bad input — an unknown id, invalid JSON, no Redis — is one line and exit 2.
 */
import type { Redis } from 'ioredis';
import {
  createRecoveryHub,
  type EscalationRecord,
  isRecoveryConfigError,
  type Resolution,
} from '../src/index.js';
import { createRedisStore, type RedisStore } from '../src/redis.js';
import { UsageError } from './usage.js';

export interface EscalationsOptions {
  readonly action: 'list' | 'resolve';
  readonly id?: string;
  readonly redis: string | undefined;
  readonly prefix: string | undefined;
  readonly value?: string | undefined;
  readonly retry: boolean;
  readonly abort: boolean;
  readonly reason?: string | undefined;
  readonly complete: boolean;
}

/** The resolution the flags ask for, or a usage error naming what is wrong. */
export function resolutionFromFlags(options: EscalationsOptions): Resolution<unknown> {
  const chosen = [
    options.value !== undefined && '--value',
    options.retry && '--retry',
    options.abort && '--abort',
    options.complete && '--complete',
  ].filter((flag): flag is string => flag !== false);
  if (chosen.length !== 1) {
    throw new UsageError(
      `escalations resolve takes exactly one of --value <json>, --retry, --abort, --complete${chosen.length > 1 ? `, got ${chosen.join(' and ')}` : ''}`,
    );
  }
  if (options.reason !== undefined && !options.abort) {
    throw new UsageError('--reason goes with --abort');
  }
  if (options.value !== undefined) {
    try {
      return { action: 'value', value: JSON.parse(options.value) as unknown };
    } catch (error) {
      throw new UsageError(`--value must be JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (options.retry) return { action: 'retry' };
  if (options.complete) return { action: 'complete' };
  return options.reason === undefined
    ? { action: 'abort' }
    : { action: 'abort', reason: options.reason };
}

/**
 * How long Redis has to accept the connection, pass ioredis's ready check, select the URL's
 * database and answer a PING. `connectTimeout` covers only the TCP connect: a port where
 * something listens and never replies (a wedged Redis, another service) would wait forever.
 */
const ANSWER_LIMIT_MS = 5000;

/** A connected ioredis client, or a usage error: ioredis is an optional dependency. */
export async function connectRedis(url: string): Promise<Redis> {
  let RedisClient: typeof Redis;
  try {
    ({ Redis: RedisClient } = await import('ioredis'));
  } catch {
    throw new UsageError('--redis needs the ioredis package: npm install ioredis');
  }
  const client = new RedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 2000,
    // A client given up on is closed at once, not after ioredis's 2 s wait for the other end.
    disconnectTimeout: 0,
  });
  client.on('error', () => {}); // reported below, once
  const db = client.options.db ?? 0;
  const ready = (async () => {
    try {
      await client.connect();
    } catch (error) {
      throw new UsageError(`cannot reach Redis at ${url}: ${(error as Error).message}`);
    }
    // ioredis reports a failed SELECT as an 'error' event and goes on in database 0.
    if (db !== 0) {
      await client.select(db).catch((error: unknown) => {
        throw new UsageError(`Redis at ${url} refused SELECT ${db}: ${(error as Error).message}`);
      });
    }
    await client.ping().catch((error: unknown) => {
      throw new UsageError(`cannot reach Redis at ${url}: ${(error as Error).message}`);
    });
  })();
  ready.catch(() => {}); // it may settle after the limit
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new UsageError(`Redis at ${url} did not answer within ${ANSWER_LIMIT_MS / 1000} s`)),
      ANSWER_LIMIT_MS,
    );
  });
  try {
    await Promise.race([ready, limit]);
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/**
 * The shared store on `client` under `prefix`. A prefix the store refuses is a usage error,
 * and the client is disconnected first: nothing is left open to keep the process alive.
 */
export function openStore(client: Redis, prefix: string | undefined): RedisStore {
  try {
    return createRedisStore({ client, ...(prefix === undefined ? {} : { prefix }) });
  } catch (error) {
    client.disconnect();
    if (!isRecoveryConfigError(error)) throw error;
    throw new UsageError(error.issues.map((issue) => issue.replace(/^options\./, '--')).join('; '));
  }
}

const clip = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text;

/** The waiting records as a table, oldest first. */
export function formatWaiting(records: readonly EscalationRecord[], now: number): string {
  if (records.length === 0) return 'nothing waits for a person';
  const rows = records.map((r) => [
    r.id,
    `${Math.max(0, Math.round((now - r.createdAt) / 1000))} s`,
    r.context.workflowId ?? '-',
    r.context.nodeName ?? '-',
    r.patternId ?? 'unmatched',
    clip(r.message.split('\n')[0] ?? '', 60),
  ]);
  const header = ['id', 'age', 'workflow', 'node', 'pattern', 'message'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Runs `escalations list` or `escalations resolve`; returns what to print. */
export async function escalationsCommand(options: EscalationsOptions): Promise<string> {
  if (options.redis === undefined) {
    throw new UsageError(
      'escalations needs --redis URL: waiting escalations are listed and resolved through the shared store',
    );
  }
  const resolution = options.action === 'resolve' ? resolutionFromFlags(options) : undefined;
  if (options.action === 'resolve' && (options.id === undefined || options.id === '')) {
    throw new UsageError('escalations resolve takes the id of a waiting escalation');
  }
  const client = await connectRedis(options.redis);
  const store = openStore(client, options.prefix);
  const hub = createRecoveryHub({ store });
  try {
    if (!(await store.sync())) throw new UsageError(`Redis at ${options.redis} did not answer`);
    if (resolution === undefined) return formatWaiting(hub.pendingEscalations(), Date.now());
    const id = options.id as string;
    const resolved = await hub.resolveEscalation(id, resolution);
    if (!resolved) {
      throw new UsageError(
        `no escalation waits under id ${id} (run: rx-recovery escalations list)`,
      );
    }
    return `resolved ${id}: ${resolution.action}`;
  } finally {
    await store.close();
    await client.quit().catch(() => client.disconnect());
  }
}
