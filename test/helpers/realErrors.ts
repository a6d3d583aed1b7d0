/**
 * Real network and HTTP failures for the classifier's tests: errors thrown by Node's own
 * `fetch` (undici) and `node:http` against servers on 127.0.0.1, and — where a real one
 * cannot be produced on loopback without waiting on a clock or a resolver — errors built
 * with exactly the shape Node or undici gives them. Nothing here sleeps or leaves loopback.
 */
import { createServer, get, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getSystemErrorMap } from 'node:util';

/** A started server: its base URL (`http://127.0.0.1:<port>/`). */
export interface LocalServer {
  readonly url: string;
  readonly port: number;
}

function listen(handler: RequestListener): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  // fetch keeps connections alive: end them, or close would wait for their idle timeout.
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function addressOf(server: Server): LocalServer {
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, port };
}

/**
 * Servers on 127.0.0.1 that one test file starts and closes: `start` in a test,
 * `closeAll` in `afterEach`.
 */
export function localServers(): {
  start(handler: RequestListener): Promise<LocalServer>;
  closeAll(): Promise<void>;
} {
  const open = new Set<Server>();
  return {
    async start(handler) {
      const server = await listen(handler);
      open.add(server);
      return addressOf(server);
    },
    async closeAll() {
      const servers = [...open];
      open.clear();
      await Promise.all(servers.map(closeServer));
    },
  };
}

/** A loopback URL nothing listens on: a port the OS just gave a server, which is now closed. */
export async function closedPortUrl(): Promise<string> {
  const server = await listen(() => {});
  const { url } = addressOf(server);
  await closeServer(server);
  return url;
}

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The error a `node:http` GET of `url` emits (`socket hang up` when the server hangs up). */
export function httpGetError(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      response.resume();
      reject(new Error(`expected a failed request, got HTTP ${response.statusCode}`));
    });
    request.once('error', resolve);
  });
}

/** A server handler that closes the connection before sending anything. */
export const hangUp: RequestListener = (request) => {
  request.socket.destroy();
};

/**
 * A server handler that sends the status line, the headers and part of the body, then
 * closes the connection: `fetch` resolves, reading the body fails.
 */
export const hangUpMidBody: RequestListener = (_, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
  response.write('partial', () => response.socket?.destroy());
};

/** A server handler that answers every request with `status` and a JSON error body. */
export function respondWith(status: number, headers: Record<string, string> = {}): RequestListener {
  return (request, response) => {
    request.resume();
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify({ error: { status, message: `status ${status}` } }));
  };
}

/** How applications commonly turn a failed `fetch` response into an error. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    statusText: string,
    readonly url: string,
  ) {
    super(`${status} ${statusText}`.trim());
  }
}

/** `fetch(url)`, throwing {@link HttpError} (with the response's `status`) when not ok. */
export async function fetchOrThrow(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new HttpError(response.status, response.statusText, url);
  }
  return response;
}

/** MDN's idiom: the status only in the message, `HTTP error! status: 503`. */
export async function fetchOrThrowMessage(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP error! status: ${response.status}`);
  }
  return response;
}

/**
 * An error shaped as axios throws it for a non-2xx response: `name: 'AxiosError'`, the
 * message `Request failed with status code <n>`, `code` `ERR_BAD_REQUEST` (4xx) or
 * `ERR_BAD_RESPONSE` (5xx), the status only on `response.status` — here from a real
 * `node:http` response (axios is not a dependency).
 */
export function axiosStyleGet(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status < 400) {
        reject(new Error(`expected an HTTP error, got HTTP ${status}`));
        return;
      }
      resolve(
        Object.assign(new Error(`Request failed with status code ${status}`), {
          name: 'AxiosError',
          code: status < 500 ? 'ERR_BAD_REQUEST' : 'ERR_BAD_RESPONSE',
          response: { status, statusText: response.statusMessage, headers: response.headers },
        }),
      );
    });
    request.once('error', reject);
  });
}

/** The errno libuv gives a system error name (`EAI_AGAIN` → -3001 on Linux). */
function errnoOf(name: string): number | undefined {
  for (const [errno, [errorName]] of getSystemErrorMap()) {
    if (errorName === name) return errno;
  }
  return undefined;
}

/**
 * A DNS failure as `dns.lookup` reports it (Node's `dnsException`): `getaddrinfo EAI_AGAIN
 * <host>`, with `errno`, `code`, `syscall` and `hostname`. Built, not provoked: a real one
 * needs a resolver that fails, which a test cannot arrange on loopback.
 */
export function eaiAgainError(hostname: string): Error {
  return Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), {
    errno: errnoOf('EAI_AGAIN'),
    code: 'EAI_AGAIN',
    syscall: 'getaddrinfo',
    hostname,
  });
}

/** What Node's `fetch` throws when the lookup of the host fails: the DNS error as `cause`. */
export function fetchFailedBy(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/**
 * undici's `ConnectTimeoutError`, with the shape undici 6 gives it (name, `code`, the
 * message its connector writes). Built, not provoked: the `undici` package is not installed
 * (Node bundles it inside `fetch` without exporting its classes), and a real connect
 * timeout needs an address that never answers and 10 s of wall clock.
 */
export function connectTimeoutError(host: string, port: number, timeoutMs = 10_000): Error {
  return Object.assign(
    new Error(
      `Connect Timeout Error (attempted address: ${host}:${port}, timeout: ${timeoutMs}ms)`,
    ),
    { name: 'ConnectTimeoutError', code: 'UND_ERR_CONNECT_TIMEOUT' },
  );
}
