import type { ErrorPattern } from './errorPattern.js';
import type { ErrorType, RecoveryStrategy } from './errorTypes.js';
import { freeze } from './freeze.js';

/**
 * One built-in pattern: id, error type, regex, priority, maxRetries (default 3), plan (its
 * steps joined by spaces; default retry → escalate).
 */
type Row = readonly [string, ErrorType, RegExp, number, number?, string?];

/** Patterns from rows, frozen all the way down: the table, each pattern and its plan. */
const frozen = (rows: readonly Row[]): readonly ErrorPattern[] =>
  freeze(
    rows.map(([id, errorType, match, priority, maxRetries = 3, plan = 'retry escalate']) =>
      freeze({
        id,
        errorType,
        match,
        strategy: freeze(plan.split(' ') as RecoveryStrategy[]),
        maxRetries,
        priority,
      }),
    ),
  );

/**
 * The built-in patterns, all case-insensitive, highest priority first: the six of the
 * original design, then three transient families. Each is matched against
 * {@link errorText}: `"<name>: <message>"`, the `error.code` line, the `HTTP <status>` line.
 *
 * | id | priority | errorType | plan (maxRetries) | matches, for example |
 * |---|---|---|---|---|
 * | `missing_async_keyword` | 10 | syntax | correct → escalate | `await is only valid in async function` |
 * | `import_not_found` | 8 | import | alternative → escalate | `Cannot find module`, `ERR_MODULE_NOT_FOUND`, `No module named` |
 * | `template_rendering_error` | 7 | template | alternative → degrade | `TemplateSyntaxError`, `template rendering failed` |
 * | `validation_failed` | 6 | validation | degrade | `ValidationError`, `ZodError`, `validation failed` |
 * | `quorum_consensus_failed` | 6 | quorum | retry (2) → escalate | `quorum not reached`, `consensus failed` |
 * | `operation_timeout` | 5 | timeout | retry (3) → escalate | an error named `TimeoutError`, `timed out`, `ETIMEDOUT`, `timeout of 5000ms exceeded`, `deadline exceeded`, `request timeout` |
 * | `rate_limited` | 4 | transient | retry (5) → escalate | `HTTP 429`, `Too Many Requests`, `rate limit`, `RateLimitError` |
 * | `service_unavailable` | 4 | transient | retry (3) → escalate | `HTTP 502`/`503`/`504`/`529`, `Service Unavailable`, `Bad Gateway`, `Gateway Timeout`, `overloaded` |
 * | `network_transient` | 3 | transient | retry (3) → escalate | `ECONNRESET`, `ECONNREFUSED`, `EPIPE`, `EAI_AGAIN`, `socket hang up`, `fetch failed`, `UND_ERR_SOCKET`, `UND_ERR_CONNECT_TIMEOUT`; the whole messages `TypeError: terminated`, `TypeError: Failed to fetch`, `TypeError: NetworkError when attempting to fetch resource.`, `TypeError: Load failed` |
 *
 * `timeout` counts only as a timeout, never as a word or an identifier: `setTimeout is not
 * defined`, `(reading 'timeout')`, `KeyError: 'timeout'`, `options.timeout: must be a
 * number` and `timeout=5` in a traceback match nothing. A status counts only after `HTTP`
 * (the status line of {@link errorText}, `HTTP/1.1 503`, `HTTP Error 503`), `status`,
 * `status code` or `error code` (`HTTP 5030` and a port `:503` do not); HTTP 500 is
 * deliberately absent: a server error is not known to be transient.
 *
 * In plain words: what {@link withRecovery} and {@link classify} use when you give no
 * patterns. Spread them into your own table to keep them, or filter them.
 *
 * @example
 * ```ts
 * import { classify, createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * defaultPatterns.map((pattern) => pattern.id);
 * // → ['missing_async_keyword', 'import_not_found', 'template_rendering_error',
 * //    'validation_failed', 'quorum_consensus_failed', 'operation_timeout',
 * //    'rate_limited', 'service_unavailable', 'network_transient']
 *
 * classify(Object.assign(new Error('Too Many Requests'), { status: 429 })).plan;
 * // → ['retry', 'escalate'] (rate_limited: up to 5 retries)
 * classify(new TypeError('fetch failed')).pattern?.id; // → 'network_transient'
 *
 * // The built-ins plus yours; a higher priority runs first.
 * const classifier = createClassifier([
 *   ...defaultPatterns,
 *   {
 *     id: 'context_length',
 *     errorType: 'validation',
 *     match: /context[_ ]length[_ ]exceeded/i,
 *     strategy: 'degrade',
 *     priority: 9,
 *   },
 * ]);
 * // The built-ins without the timeout retry.
 * const noTimeouts = createClassifier(defaultPatterns.filter((p) => p.id !== 'operation_timeout'));
 * noTimeouts.classify(new Error('Request timed out')).plan; // → []
 * ```
 */
export const defaultPatterns: readonly ErrorPattern[] = /* @__PURE__ */ frozen([
  [
    'missing_async_keyword',
    'syntax',
    /await is only valid in async functions?|'await' (?:expressions are only allowed within async functions?|outside (?:an )?async function)/i,
    10,
    3,
    'correct escalate',
  ],
  [
    'import_not_found',
    'import',
    /Cannot find module|ERR_MODULE_NOT_FOUND|ModuleNotFoundError|ImportError|No module named/i,
    8,
    3,
    'alternative escalate',
  ],
  [
    'template_rendering_error',
    'template',
    /TemplateError|TemplateSyntaxError|UndefinedError|template render(?:ing|er)?\b[^\n]{0,40}?\b(?:error|failed)/i,
    7,
    3,
    'alternative degrade',
  ],
  [
    'validation_failed',
    'validation',
    /ValidationError|ZodError|validation failed/i,
    6,
    3,
    'degrade',
  ],
  [
    'quorum_consensus_failed',
    'quorum',
    /quorum (?:was )?not (?:reached|met)|consensus failed/i,
    6,
    2,
  ],
  [
    'operation_timeout',
    'timeout',
    // An error named TimeoutError (RxJS, DOM, Python's `asyncio.TimeoutError: …`: the name
    // ends its line or is followed by ": "), then phrases and codes only a timeout produces.
    /\bTimeoutError(?=: |\r?\n|$)|\btimed[ -]out\b|\bE(?:SOCKET)?TIMEDOUT\b|\bdeadline[ _]exceeded\b|\btime-?out (?:(?:of \d{1,9} ?(?:m?s|sec(?:onds)?|milliseconds)? )?exceeded|(?:has )?(?:occurred|expired)|elapsed|a?waiting|acquiring)\b|\b(?:request|connection|socket|read|write|response|operation|network|statement|idle) time-?out\b/i,
    5,
  ],
  [
    'rate_limited',
    'transient',
    // 429 only after `HTTP` (the status line errorText adds) or `status`/`error code`. A name
    // such as `RateLimitError` or `rate_limited`, but not as a bug quotes one: `(reading
    // 'RateLimitError')`, `… has no attribute 'RateLimitError'`, `rateLimited is not defined`.
    /\b(?:HTTP(?:\/1\.[01]|\/[23]| error)?|status(?:[ _]code)?|error code)[:= ] ?429\b|\btoo many requests\b|\brate(?:[ -]limit|_?limit(?:ed|_?(?:error|exceeded|exception))\b(?!'| is not\b))/i,
    4,
    5,
  ],
  [
    'service_unavailable',
    'transient',
    // 502/503/504/529 only after `HTTP` or `status`/`error code` (each its own branch, so
    // that each has a literal for the index); `overloaded` but not a compiler's
    // `overloaded function` or `call of overloaded 'f(int)'`.
    /\bHTTP(?:\/1\.[01]|\/[23]| error)?[:= ] ?(?:50[234]|529)\b|\bstatus(?:[ _]code)?[:= ] ?(?:50[234]|529)\b|\berror code[:= ] ?(?:50[234]|529)\b|\bservice (?:temporarily )?unavailable\b|\bbad gateway\b|\bgateway time-?out\b|\boverloaded(?! ?(?:function|method|operator|constructor|member|signature|variant|version|['"‘`(<])|Error(?:'| is not\b))/i,
    4,
  ],
  [
    'network_transient',
    'transient',
    // Node's socket and DNS codes (on `error.code` or in the message), undici's, and the
    // message of Node's `fetch` when the connection failed (its cause is not read).
    // The anchored TypeErrors are whole messages, never a phrase inside another one: the
    // body read of Node's fetch cut mid-body ("terminated"), and what browsers throw for a
    // fetch that reached no server (Chromium, Firefox, Safari).
    /\bECONNRE(?:SET|FUSED)\b|\bEPIPE\b|\bEAI_AGAIN\b|\bsocket hang up\b|\bfetch failed\b|\bUND_ERR_(?:SOCKET|CONNECT_TIMEOUT)\b|^TypeError: (?:terminated|Failed to fetch|NetworkError when attempting to fetch resource\.|Load failed)$/i,
    3,
  ],
]);
