import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A new secret for one run of a dashboard: 32 random bytes, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The token a request carries: `Authorization: Bearer <token>`, or, on a GET (an
 * EventSource cannot set headers), `?token=<token>`.
 */
function requestToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  return request.method === 'GET' ? (url.searchParams.get('token') ?? undefined) : undefined;
}

/** Whether `request` carries `token`, compared in constant time. */
export function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const given = requestToken(request, url);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The names a page on this machine reaches the server by. A request whose `Host` is
 * anything else comes through a name that merely resolves to loopback (DNS rebinding):
 * it is refused, token or not. On port 80, HTTP's default, a browser names no port (RFC 9110
 * §7.2): the bare names are the server's too.
 */
export function loopbackHosts(port: number): readonly string[] {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return port === 80 ? [...hosts, '127.0.0.1', 'localhost'] : hosts;
}

/** Whether an `Origin` header (absent on same-origin GETs) is one of the server's own. */
export function sameOrigin(origin: string | undefined, hosts: readonly string[]): boolean {
  return origin === undefined || hosts.some((host) => origin === `http://${host}`);
}

/** Headers on every response: nothing is cached, sniffed, framed or leaked as a referrer. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
});

/** Answers with `body` as JSON. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Answers with `{ error }`: one line saying what is wrong. */
export function sendError(
  response: ServerResponse,
  status: number,
  error: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(response, status, { error }, headers);
}

/**
 * The request's body as text, or `undefined` when it is longer than `limit` bytes (then
 * reading stops at once: nothing more is buffered).
 */
export function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.off('end', onEnd);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', reject);
  });
}
