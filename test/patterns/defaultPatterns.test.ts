import { TimeoutError } from 'rxjs';
import { describe, expect, it } from 'vitest';
// Straight from the modules, not the main entry: the test needs only the classifier.
import { classify, createClassifier } from '../../src/patterns/classifier.js';
import { defaultPatterns } from '../../src/patterns/defaultPatterns.js';
import type { ErrorPattern } from '../../src/patterns/errorPattern.js';
import { errorText } from '../../src/patterns/errorText.js';
import { literalPrefilter } from '../../src/patterns/literalPrefilter.js';

/** An Error with its own `name`, as libraries and SDKs define their error classes. */
function named(name: string, message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...fields });
}

/** An Error carrying a Node-style `code`. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** An Error carrying an HTTP `status`, as fetch wrappers and LLM SDKs throw them. */
function withStatus(message: string, status: number): Error {
  return Object.assign(new Error(message), { status });
}

const pythonTraceback = [
  'Traceback (most recent call last):',
  '  File "/app/client.py", line 42, in fetch',
  '    response = session.get(url, timeout=5)',
  '  File "/app/client.py", line 57, in parse',
  '    except asyncio.TimeoutError:',
  '  File "/app/client.py", line 58, in parse',
  '    raise ValueError(f"unexpected payload: {body!r}")',
  "ValueError: unexpected payload: b''",
].join('\n');

/**
 * Per pattern: first each entry of DESIGN.md's "matches, at least" column, then real-world
 * phrasings of the same failure.
 */
const positives: Record<string, unknown[]> = {
  missing_async_keyword: [
    'await is only valid in async function',
    "'await' expressions are only allowed within async functions",
    "SyntaxError: 'await' outside async function",
    new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
    "error TS1308: 'await' expressions are only allowed within async functions and at the top levels of modules.",
    'AWAIT IS ONLY VALID IN ASYNC FUNCTION',
  ],
  import_not_found: [
    'Cannot find module',
    'ERR_MODULE_NOT_FOUND',
    'ModuleNotFoundError',
    'ImportError',
    'No module named',
    new Error("Cannot find module './template-engine'"),
    coded("Cannot find package 'left-pad' imported from /app/index.js", 'ERR_MODULE_NOT_FOUND'),
    "ModuleNotFoundError: No module named 'pydantic'",
    'ImportError: cannot import name "BaseModel" from "pydantic"',
  ],
  template_rendering_error: [
    'TemplateError',
    'TemplateSyntaxError',
    'template rendering error',
    'template render failed',
    'UndefinedError',
    'jinja2.exceptions.TemplateSyntaxError: unexpected end of template',
    'TemplateError: unknown filter "titlecase"',
    "jinja2.exceptions.UndefinedError: 'contract' is undefined",
    'Template rendering failed for service.ts.j2',
    'template render error: missing partial',
  ],
  validation_failed: [
    'ValidationError',
    'ZodError',
    'validation failed',
    'ValidationError: 2 validation errors for Contract',
    named('ZodError', '[{"code":"invalid_type"}]'),
    'Schema validation failed: missing field "name"',
  ],
  quorum_consensus_failed: [
    'quorum not reached',
    'consensus failed',
    'Quorum not reached: 1 of 3 reviewers approved',
    'consensus failed after 3 rounds',
  ],
  operation_timeout: [
    new TimeoutError(),
    new DOMException('The operation timed out.', 'TimeoutError'),
    // Node's AbortSignal.timeout() reason: only the name says "timeout".
    new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    new DOMException('', 'TimeoutError'),
    named('TimeoutError', '', { code: 'ABORT_ERR' }),
    'timed out',
    coded('connect failed', 'ETIMEDOUT'),
    named('AxiosError', 'timeout of 5000ms exceeded', { code: 'ECONNABORTED' }),
    'deadline exceeded',
    'request timeout',
    'Request timed out after 30000ms',
    'Request timed out.',
    'The operation has timed out.',
    'operation timeout',
    'Error: ETIMEDOUT',
    'ESOCKETTIMEDOUT',
    'TimeoutError: Navigation timeout of 30000 ms exceeded',
    'Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called',
    'context deadline exceeded',
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 4.999s',
    'net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
    'Lock wait timeout exceeded; try restarting transaction',
    'HTTP 408 Request Timeout',
    'Knex: Timeout acquiring a connection. The pool is probably full.',
    "Timeout awaiting 'request' for 5000ms",
    'asyncio.exceptions.TimeoutError',
    'Traceback (most recent call last):\r\n  File "x.py", line 1, in <module>\r\nasyncio.TimeoutError\r\n',
    'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nTimeoutError: [Errno 110] Connection timed out',
    'FetchError: network timeout at: https://api.example.com/v1',
  ],
  rate_limited: [
    withStatus('Request failed', 429),
    'HTTP 429',
    'Too Many Requests',
    'rate limit',
    named('RateLimitError', '429 {"type":"error","error":{"type":"rate_limit_error"}}'),
    'RateLimitError',
    'Error: HTTP 429: Too Many Requests',
    'HTTP/1.1 429 Too Many Requests',
    'Request failed with status code 429',
    'HTTP error! status: 429',
    "openai.RateLimitError: Error code: 429 - {'error': {'code': 'rate_limit_exceeded'}}",
    'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM)',
    'You are being rate-limited',
    '{"reason": "rateLimitExceeded"}',
    'RATE_LIMIT_EXCEEDED',
  ],
  service_unavailable: [
    withStatus('Bad response', 502),
    withStatus('Bad response', 503),
    withStatus('Bad response', 504),
    withStatus('Bad response', 529),
    'HTTP 502',
    'HTTP 503',
    'HTTP 504',
    'HTTP 529',
    'Service Unavailable',
    'Bad Gateway',
    'overloaded',
    'HttpError: 503 Service Unavailable',
    '503 Service Temporarily Unavailable',
    'Gateway Timeout',
    'HTTP/2 503',
    'Request failed with status code 502',
    'upstream returned status=503',
    named('OverloadedError', '529 {"type":"error","error":{"type":"overloaded_error"}}'),
    'The engine is currently overloaded, please try again later',
    'Error: Overloaded',
  ],
  network_transient: [
    coded('read ECONNRESET', 'ECONNRESET'),
    coded('connect ECONNREFUSED 127.0.0.1:5030', 'ECONNREFUSED'),
    coded('write EPIPE', 'EPIPE'),
    coded('getaddrinfo EAI_AGAIN api.example.com', 'EAI_AGAIN'),
    'socket hang up',
    new TypeError('fetch failed'),
    named('SocketError', 'other side closed', { code: 'UND_ERR_SOCKET' }),
    named(
      'ConnectTimeoutError',
      'Connect Timeout Error (attempted address: api.example.com:443, timeout: 10000ms)',
      { code: 'UND_ERR_CONNECT_TIMEOUT' },
    ),
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'Error: socket hang up',
  ],
};

/** Per pattern: texts it must not match (other patterns may). */
const negatives: Record<string, unknown[]> = {
  missing_async_keyword: [
    'await completed',
    'async function failed',
    'SyntaxError: Unexpected token',
  ],
  import_not_found: ["Cannot find name 'foo'", 'module loaded', 'import succeeded'],
  template_rendering_error: ['template saved', 'rendering took 3ms', 'templates: 4'],
  validation_failed: ['validation passed', 'validating input', 'Valid'],
  quorum_consensus_failed: ['quorum reached', 'consensus reached', 'quorum of 3'],
  operation_timeout: [
    "TypeError: Cannot read properties of undefined (reading 'timeout')",
    "KeyError: 'timeout'",
    pythonTraceback,
    'options.timeout: must be a number',
    'setTimeout is not defined',
    'ReferenceError: setTimeout is not defined',
    'clearTimeout(handle)',
    'time is out of joint',
    'ReferenceError: TimeoutError is not defined',
    "AttributeError: module 'asyncio' has no attribute 'TimeoutError'",
    'ValidationError: timeout must be a positive integer',
    'Invalid timeout value: -1',
    'requestTimeout is required',
    'request_timeout=5 is too low',
    // undici's connect timeout is network_transient, as DESIGN's table says.
    'ConnectTimeoutError: Connect Timeout Error (attempted address: a.example:443, timeout: 10000ms)\nUND_ERR_CONNECT_TIMEOUT',
    // 504 is service_unavailable.
    'HttpError: 504 Gateway Timeout\nHTTP 504',
  ],
  rate_limited: [
    'HTTP 4290',
    'HTTP 428',
    'status 4291',
    'listening on 127.0.0.1:429',
    'connect ECONNREFUSED 127.0.0.1:429',
    'processed 429 items',
    'GET /api/items/429 failed',
    'RateLimiter is not a constructor',
    "TypeError: Cannot read properties of undefined (reading 'rateLimit')",
    'rate_limit is not defined',
    'HTTP 503',
  ],
  service_unavailable: [
    'HTTP 5030',
    'HTTP 500',
    'HTTP 501',
    'HTTP 400',
    'HTTP 404',
    'HTTP 429',
    'status 5031',
    'connect ECONNREFUSED 127.0.0.1:5030',
    'listening on :503',
    'took 503ms',
    'item 503 not found',
    'Internal Server Error',
    withStatus('Internal Server Error', 500),
    'No overload matches this call.',
    "error: call of overloaded 'foo(int)' is ambiguous",
    'error: call of overloaded ‘foo(int)’ is ambiguous',
    'Overloaded function signatures 1 and 2 overlap with incompatible return types',
    "error: overloaded 'operator+' must be a unary or binary operator",
  ],
  network_transient: [
    'TypeError: x is not a function',
    'prefetch failed',
    'EPIPELINE',
    'ECONNRESETTING',
    'UND_ERR_ABORTED',
    'HTTP 503',
    'socket closed normally',
  ],
};

/** The naive answer: every regex in priority order (stable), the first that matches. */
function naive(patterns: readonly ErrorPattern[], error: unknown): string | undefined {
  const text = errorText(error);
  return patterns
    .map((pattern, order) => ({ pattern, order }))
    .sort((a, b) => (b.pattern.priority ?? 5) - (a.pattern.priority ?? 5) || a.order - b.order)
    .find(({ pattern }) => (pattern.match as RegExp).test(text))?.pattern.id;
}

/**
 * Twenty patterns of a user's own: broad ones below every default, and high-priority ones
 * that match none of the defaults' samples. Enough to cross the literal-index threshold.
 */
const extraPatterns: ErrorPattern[] = [
  ...['error', 'fail', 'time', 'out', 'http', 'status', 'limit', 'socket', 'fetch', 'request'].map(
    (word, i): ErrorPattern => ({
      id: `low_${word}`,
      errorType: 'unknown',
      match: new RegExp(word, 'i'),
      strategy: 'escalate',
      priority: i % 3,
    }),
  ),
  ...[
    /\bENOSPC\b/,
    /disk (?:is )?full/i,
    /context[_ ]length[_ ]exceeded/i,
    /invalid_api_key/,
    /permission denied/i,
    /\bEACCES\b/,
    /certificate has expired/i,
    /self[- ]signed certificate/i,
    /out of memory/i,
    /maximum call stack size exceeded/i,
  ].map(
    (match, i): ErrorPattern => ({
      id: `high_${i}`,
      errorType: 'unknown',
      match,
      strategy: 'escalate',
      priority: 9 + (i % 4),
    }),
  ),
];

describe('defaultPatterns', () => {
  it('holds the nine documented patterns with their priorities and plans', () => {
    expect(
      createClassifier(defaultPatterns).patterns.map((p) => [
        p.id,
        p.priority,
        p.errorType,
        p.strategy.join(' → '),
        p.maxRetries,
      ]),
    ).toEqual([
      ['missing_async_keyword', 10, 'syntax', 'correct → escalate', 3],
      ['import_not_found', 8, 'import', 'alternative → escalate', 3],
      ['template_rendering_error', 7, 'template', 'alternative → degrade', 3],
      ['validation_failed', 6, 'validation', 'degrade', 3],
      ['quorum_consensus_failed', 6, 'quorum', 'retry → escalate', 2],
      ['operation_timeout', 5, 'timeout', 'retry → escalate', 3],
      ['rate_limited', 4, 'transient', 'retry → escalate', 5],
      ['service_unavailable', 4, 'transient', 'retry → escalate', 3],
      ['network_transient', 3, 'transient', 'retry → escalate', 3],
    ]);
  });

  it('keeps the six original patterns first and appends the transient families', () => {
    expect(defaultPatterns.map((p) => p.id)).toEqual([
      'missing_async_keyword',
      'import_not_found',
      'template_rendering_error',
      'validation_failed',
      'quorum_consensus_failed',
      'operation_timeout',
      'rate_limited',
      'service_unavailable',
      'network_transient',
    ]);
  });

  it('is case-insensitive and frozen all the way down', () => {
    expect(Object.isFrozen(defaultPatterns)).toBe(true);
    for (const pattern of defaultPatterns) {
      expect(pattern.match).toBeInstanceOf(RegExp);
      expect((pattern.match as RegExp).flags).toContain('i');
      expect(Object.isFrozen(pattern)).toBe(true);
      expect(Object.isFrozen(pattern.strategy)).toBe(true);
    }
  });

  for (const [id, errors] of Object.entries(positives)) {
    it.each(errors.map((error) => [errorText(error), error]))(`${id} matches %j`, (_, error) => {
      expect(classify(error).pattern?.id).toBe(id);
    });
  }

  for (const [id, messages] of Object.entries(negatives)) {
    it.each(messages.map((message) => [errorText(message), message]))(
      `${id} does not match %j`,
      (_, message) => {
        const ids = createClassifier(defaultPatterns)
          .explain(message)
          .map((m) => m.pattern.id);
        expect(ids).not.toContain(id);
      },
    );
  }

  it('matches the case-insensitive variants of its positives', () => {
    for (const [id, errors] of Object.entries(positives)) {
      for (const error of errors) {
        const text = errorText(error);
        expect(classify(text.toUpperCase()).pattern?.id, text).toBe(id);
        expect(classify(text.toLowerCase()).pattern?.id, text).toBe(id);
      }
    }
  });
});

describe('defaultPatterns and the literal index', () => {
  it('gives every default pattern a literal prefilter that each positive passes', () => {
    for (const pattern of defaultPatterns) {
      const prefilter = literalPrefilter(pattern.match as RegExp);
      expect(prefilter, pattern.id).not.toBeNull();
      for (const error of positives[pattern.id] ?? []) {
        const haystack = errorText(error).toLowerCase();
        expect(
          prefilter?.some((literal) => haystack.includes(literal)),
          `${pattern.id}: ${errorText(error)}`,
        ).toBe(true);
      }
    }
  });

  it('classifies the same with twenty more patterns (the indexed classifier)', () => {
    const table = [...defaultPatterns, ...extraPatterns];
    expect(table.length).toBeGreaterThan(16);
    const large = createClassifier(table);
    const samples = [...Object.values(positives), ...Object.values(negatives)].flat();
    for (const [id, errors] of Object.entries(positives)) {
      for (const error of errors) {
        expect(large.classify(error).pattern?.id, errorText(error)).toBe(id);
      }
    }
    for (const sample of samples) {
      expect(large.classify(sample).pattern?.id, errorText(sample)).toBe(naive(table, sample));
    }
  });

  it('explains a positive with the same matches in the large table as in the defaults', () => {
    const large = createClassifier([...defaultPatterns, ...extraPatterns]);
    const small = createClassifier(defaultPatterns);
    const defaultIds = new Set(defaultPatterns.map((p) => p.id));
    for (const error of Object.values(positives).flat()) {
      const fromLarge = large
        .explain(error)
        .filter((m) => defaultIds.has(m.pattern.id))
        .map((m) => [m.pattern.id, m.matched, m.index]);
      const fromSmall = small.explain(error).map((m) => [m.pattern.id, m.matched, m.index]);
      expect(fromLarge, errorText(error)).toEqual(fromSmall);
    }
  });
});
