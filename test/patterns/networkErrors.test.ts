import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { classify } from '../../src/patterns/classifier.js';
import { errorText } from '../../src/patterns/errorText.js';
import {
  axiosStyleGet,
  closedPortUrl,
  connectTimeoutError,
  eaiAgainError,
  fetchFailedBy,
  fetchOrThrow,
  fetchOrThrowMessage,
  hangUp,
  hangUpMidBody,
  httpGetError,
  localServers,
  rejectionOf,
  respondWith,
} from '../helpers/realErrors.js';

const servers = localServers();
afterEach(() => servers.closeAll());

/** The pattern id the default classifier picks, `undefined` when none matches. */
const patternOf = (error: unknown) => classify(error).pattern?.id;

describe('network failures, as Node really throws them', () => {
  it('fetch to a closed loopback port: TypeError "fetch failed", cause ECONNREFUSED', async () => {
    const error = await rejectionOf(fetch(await closedPortUrl()));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    // Only name and message are read: the cause's code is not, and need not be.
    expect(errorText(error)).toBe('TypeError: fetch failed');
    expect(classify(error)).toMatchObject({
      pattern: { id: 'network_transient' },
      errorType: 'transient',
      plan: ['retry', 'escalate'],
    });
    // The cause on its own is classified the same, by its code.
    const cause = (error as TypeError).cause;
    expect(errorText(cause)).toMatch(
      /^Error: connect ECONNREFUSED 127\.0\.0\.1:\d+\nECONNREFUSED$/,
    );
    expect(patternOf(cause)).toBe('network_transient');
  });

  it('fetch when the server hangs up before answering: cause UND_ERR_SOCKET', async () => {
    const { url } = await servers.start(hangUp);
    const error = await rejectionOf(fetch(url));
    expect(errorText(error)).toBe('TypeError: fetch failed');
    expect(patternOf(error)).toBe('network_transient');
    const cause = (error as TypeError).cause;
    expect(cause).toMatchObject({ name: 'SocketError', code: 'UND_ERR_SOCKET' });
    expect(errorText(cause)).toBe('SocketError: other side closed\nUND_ERR_SOCKET');
    expect(patternOf(cause)).toBe('network_transient');
  });

  it('fetch when the server hangs up mid-body: the body read fails, cause UND_ERR_SOCKET', async () => {
    const { url } = await servers.start(hangUpMidBody);
    const response = await fetch(url);
    const error = await rejectionOf(response.text());
    const cause = (error as TypeError).cause;
    // undici's own SocketError, as real as it gets without the undici package.
    expect(cause).toMatchObject({ name: 'SocketError', code: 'UND_ERR_SOCKET' });
    expect(classify(cause)).toMatchObject({ pattern: { id: 'network_transient' } });
    // The wrapper says only "terminated" (its cause is not read, see errorText): the whole
    // message is matched, so the error the stream gets is recovered too.
    expect(errorText(error)).toBe('TypeError: terminated');
    expect(classify(error)).toMatchObject({ pattern: { id: 'network_transient' } });
  });

  it('node:http when the server destroys the socket: "socket hang up", ECONNRESET', async () => {
    const { url } = await servers.start(hangUp);
    const error = await httpGetError(url);
    expect(error).toMatchObject({ message: 'socket hang up', code: 'ECONNRESET' });
    expect(errorText(error)).toBe('Error: socket hang up\nECONNRESET');
    expect(patternOf(error)).toBe('network_transient');
  });

  it('a DNS failure shaped as dns.lookup reports it: getaddrinfo EAI_AGAIN', () => {
    const error = eaiAgainError('api.example.com');
    expect(error).toMatchObject({ code: 'EAI_AGAIN', syscall: 'getaddrinfo', errno: -3001 });
    expect(errorText(error)).toBe('Error: getaddrinfo EAI_AGAIN api.example.com\nEAI_AGAIN');
    expect(patternOf(error)).toBe('network_transient');
    // Through fetch, the DNS error is the cause of "fetch failed".
    expect(patternOf(fetchFailedBy(error))).toBe('network_transient');
  });

  it("undici's connect timeout (built with its shape) is network_transient, not a timeout", () => {
    const error = connectTimeoutError('api.example.com', 443);
    expect(errorText(error)).toBe(
      'ConnectTimeoutError: Connect Timeout Error (attempted address: api.example.com:443, timeout: 10000ms)\nUND_ERR_CONNECT_TIMEOUT',
    );
    expect(classify(error)).toMatchObject({
      pattern: { id: 'network_transient' },
      errorType: 'transient',
    });
    expect(patternOf(fetchFailedBy(error))).toBe('network_transient');
  });
});

describe('HTTP statuses, turned into errors the ways users do', () => {
  it.each([
    [503, 'service_unavailable', 'HttpError: 503 Service Unavailable\nHTTP 503'],
    [429, 'rate_limited', 'HttpError: 429 Too Many Requests\nHTTP 429'],
    [502, 'service_unavailable', 'HttpError: 502 Bad Gateway\nHTTP 502'],
    [504, 'service_unavailable', 'HttpError: 504 Gateway Timeout\nHTTP 504'],
  ])('fetch + HttpError with status %i → %s', async (status, id, text) => {
    const { url } = await servers.start(respondWith(status));
    const error = await rejectionOf(fetchOrThrow(url));
    expect(error).toMatchObject({ status });
    expect(errorText(error)).toBe(text);
    expect(classify(error)).toMatchObject({ pattern: { id }, errorType: 'transient' });
  });

  it('a 529, which has no standard reason phrase, is matched by its status alone', async () => {
    const { url } = await servers.start(respondWith(529));
    const error = await rejectionOf(fetchOrThrow(url));
    // node:http sends "529 unknown".
    expect(errorText(error)).toBe('HttpError: 529 unknown\nHTTP 529');
    expect(patternOf(error)).toBe('service_unavailable');
  });

  it.each([
    [
      429,
      'rate_limited',
      'AxiosError: Request failed with status code 429\nERR_BAD_REQUEST\nHTTP 429',
    ],
    [
      503,
      'service_unavailable',
      'AxiosError: Request failed with status code 503\nERR_BAD_RESPONSE\nHTTP 503',
    ],
  ])('an axios-style error with response.status %i → %s', async (status, id, text) => {
    const { url } = await servers.start(respondWith(status));
    const error = await axiosStyleGet(url);
    expect(errorText(error)).toBe(text);
    expect(patternOf(error)).toBe(id);
  });

  it.each([
    [503, 'service_unavailable'],
    [429, 'rate_limited'],
  ])(
    'MDN\'s "HTTP error! status: %i" (the status only in the message) → %s',
    async (status, id) => {
      const { url } = await servers.start(respondWith(status));
      const error = await rejectionOf(fetchOrThrowMessage(url));
      expect(errorText(error)).toBe(`Error: HTTP error! status: ${status}`);
      expect(patternOf(error)).toBe(id);
    },
  );

  it.each([400, 401, 403, 404, 409, 422, 500, 501])(
    'HTTP %i is not recovered by default (500 deliberately: not known to be transient)',
    async (status) => {
      const { url } = await servers.start(respondWith(status));
      const viaFetch = await rejectionOf(fetchOrThrow(url));
      const viaAxios = await axiosStyleGet(url);
      expect(errorText(viaFetch)).toContain(`\nHTTP ${status}`);
      expect(classify(viaFetch)).toEqual({ errorType: 'unknown', plan: [] });
      expect(classify(viaAxios)).toEqual({ errorType: 'unknown', plan: [] });
    },
  );
});

describe('LLM SDK errors from a local server', () => {
  const anthropicBody = (status: number) =>
    status === 429
      ? { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }
      : { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };

  it.each([
    [429, 'rate_limited', 'RateLimitError'],
    [529, 'service_unavailable', 'OverloadedError'],
    [503, 'service_unavailable', 'ServiceUnavailableError'],
  ])('@anthropic-ai/sdk, HTTP %i → %s (%s)', async (status, id, name) => {
    const { url } = await servers.start((request, response) => {
      request.resume();
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(anthropicBody(status)));
    });
    const client = new Anthropic({ apiKey: 'test', baseURL: url, maxRetries: 0 });
    const error = await rejectionOf(
      client.messages.create({
        model: 'test',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(error).toMatchObject({ name, status });
    expect(errorText(error)).toMatch(new RegExp(`\\nHTTP ${status}$`));
    expect(patternOf(error)).toBe(id);
  });

  it.each([
    [429, 'rate_limited'],
    [503, 'service_unavailable'],
  ])('openai, HTTP %i → %s', async (status, id) => {
    const { url } = await servers.start((request, response) => {
      request.resume();
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'try again later', type: 'server_error' } }));
    });
    const client = new OpenAI({ apiKey: 'test', baseURL: url, maxRetries: 0 });
    const error = await rejectionOf(
      client.chat.completions.create({
        model: 'test',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    // openai names its errors plain "Error": the status line is what identifies them.
    expect(errorText(error)).toBe(`Error: ${status} try again later\nHTTP ${status}`);
    expect(patternOf(error)).toBe(id);
  });

  it('an SDK 400 or 500 is not recovered by default', async () => {
    const { url } = await servers.start((request, response) => {
      request.resume();
      const status = request.url?.includes('messages') ? 400 : 500;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'bad request', type: 'invalid_request' } }));
    });
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: url, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: 'test', baseURL: url, maxRetries: 0 });
    const bad = await rejectionOf(
      anthropic.messages.create({
        model: 'test',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    const internal = await rejectionOf(
      openai.chat.completions.create({
        model: 'test',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(bad).toMatchObject({ status: 400 });
    expect(internal).toMatchObject({ status: 500 });
    expect(classify(bad).errorType).toBe('unknown');
    expect(classify(internal).errorType).toBe('unknown');
  });
});

describe('a fetch in a browser that reached no server', () => {
  // The messages the three engines give the TypeError (Chromium, Firefox, Safari).
  it.each(['Failed to fetch', 'NetworkError when attempting to fetch resource.', 'Load failed'])(
    'TypeError: %s is network_transient',
    (message) => {
      expect(classify(new TypeError(message))).toMatchObject({
        pattern: { id: 'network_transient' },
        plan: ['retry', 'escalate'],
      });
    },
  );

  it('only as whole messages: a phrase inside an application message is not matched', () => {
    for (const message of [
      'Failed to fetch user profile: 404',
      'terminated',
      'Worker terminated',
      'Load failed for module ./a.js',
    ]) {
      expect(classify(new Error(message)).pattern?.id, message).toBeUndefined();
    }
    for (const message of ['terminated by the user', 'Failed to fetch the page (parse error)']) {
      expect(classify(new TypeError(message)).pattern?.id, message).toBeUndefined();
    }
  });
});

describe('not network failures', () => {
  it('a real TypeError from calling a non-function is not transient', () => {
    const x: unknown = 42;
    let error: unknown;
    try {
      (x as () => void)();
    } catch (caught) {
      error = caught;
    }
    expect(errorText(error)).toBe('TypeError: x is not a function');
    expect(classify(error)).toEqual({ errorType: 'unknown', plan: [] });
  });

  it("a real TypeError reading 'timeout' of undefined is not a timeout", () => {
    const options: { http?: { timeout: number } } = {};
    let error: unknown;
    try {
      (options.http as { timeout: number }).timeout;
    } catch (caught) {
      error = caught;
    }
    expect(errorText(error)).toBe(
      "TypeError: Cannot read properties of undefined (reading 'timeout')",
    );
    expect(classify(error).errorType).toBe('unknown');
  });

  it('a successful local fetch throws nothing', async () => {
    const { url } = await servers.start(respondWith(200));
    await expect(fetchOrThrow(url)).resolves.toMatchObject({ status: 200 });
  });
});
