import type { ErrorPattern } from '../patterns/errorPattern.js';

/**
 * A pattern pack for the errors LLM providers' SDKs throw — `openai` (v6) and
 * `@anthropic-ai/sdk` — matched as they really read. Frozen; spread it beside the defaults:
 * `[...defaultPatterns, ...llmPatterns]`.
 *
 * In plain words: a 429 or an overloaded provider is waited out (for as long as its
 * `retry-after` header says, through the default `delayFromError`, `retryAfterDelay`); a
 * prompt too long degrades; model output that is not JSON goes to your correction rules; a
 * bad key, an exhausted quota or a content filter reaches a person at once and is never
 * retried.
 *
 * | id | priority | errorType | plan (maxRetries) | matches, for example |
 * |---|---|---|---|---|
 * | `llm_invalid_json` | 13 | syntax | correct (2) | `SyntaxError: Unexpected token 'H', "Here is th"... is not valid JSON`, `Unexpected end of JSON input`, `… in JSON at position 8`, `… after JSON at position 8` |
 * | `llm_auth_failed` | 12 | validation | escalate | status 401 or 403; `AuthenticationError`, `PermissionDeniedError`; `invalid_api_key`, `authentication_error`, `permission_error`; `Incorrect API key provided`, `invalid x-api-key` |
 * | `llm_quota_exceeded` | 12 | validation | escalate | status 402; `insufficient_quota`, `You exceeded your current quota`; Anthropic's spend limits (`EnforcedSpendLimitReachedError`, `…_spend_limit_reached`), `billing_error`, `Your credit balance is too low` |
 * | `llm_content_filtered` | 11 | validation | escalate | `content_filter`, `content management policy`, `ResponsibleAIPolicyViolation`, `content_policy_violation`, `rejected by the content filter`, `safety system`, `refusal` |
 * | `llm_context_length_exceeded` | 10 | validation | degrade | `context_length_exceeded`, `maximum context length`, `exceeds the context window`, `prompt is too long`, `exceed context limit`, `Request too large for … on tokens per min`, `request_too_large`, `string_above_max_length`, `length limit was reached` |
 * | `llm_rate_limited` | 9 | transient | retry (5) → escalate | an SDK error of status 429 (`429 Rate limit reached for …`); `RateLimitError`; `rate_limit_exceeded`, `rate_limit_error`, `ramp_limit_exceeded` |
 * | `llm_overloaded` | 9 | transient | retry (3) → escalate | an SDK error of status 529; `overloaded_error`, `OverloadedError`; a 500 or 503 that says `overloaded` |
 * | `llm_connection_error` | 9 | transient | retry (3) → escalate | `APIConnectionError: Connection error.`, `APIConnectionTimeoutError`, and OpenAI's `Error: Connection error.`, `Error: Request timed out.` |
 *
 * How the SDKs' errors read (`errorText` of `rx-recovery`): `"<name>: <status> <body>"`, then the
 * `code` line, then `HTTP <status>`. OpenAI's errors are all named `Error` (the class is
 * `RateLimitError`, the `name` is not), their message is `"<status> <error.message>"` and
 * their `code` (`rate_limit_exceeded`, `invalid_api_key`, `context_length_exceeded`,
 * `insufficient_quota`, `content_filter`) is a line of its own. Anthropic's are named after
 * their class (`RateLimitError`, `OverloadedError`, `AuthenticationError`), carry no `code`,
 * and their message is `"<status> <the JSON body>"`, so the body's `error.type`
 * (`overloaded_error`, `rate_limit_error`) is in the text. "An SDK error of status N" is a
 * text that starts `<name>: N `: both SDKs begin their messages with the status.
 *
 * The priorities: each pattern beats every default pattern that could also match (the
 * defaults' `rate_limited` and `service_unavailable` have 4, `operation_timeout` 5).
 * `llm_invalid_json` comes first because V8 quotes the start of the bad output in its
 * message (`"Rate limit…"... is not valid JSON`), which must not pass for a rate limit.
 * Then what must never be retried: a 429 that is a quota or spend limit, or a `Request too
 * large` for the per-minute token limit, is no rate limit a wait can cure; a 401 or 403 (any
 * error with that status, not only the SDKs') always escalates.
 *
 * Let the pipeline retry, not the SDK: create the client with `maxRetries: 0`, or the SDK
 * first retries on its own (twice by default) and the pipeline sees only its last failure.
 * Anthropic's `stop_reason: 'refusal'` and OpenAI's `message.refusal` are answers, not
 * errors: throw an error that says `refusal` to route them through `llm_content_filtered`.
 * A server error (500) that does not say `overloaded` is matched by no pattern here, as by
 * the defaults: it is not known to be transient.
 *
 * `errorType` `validation` marks what the provider refused as asked — the credentials, the
 * quota, the content, the size: the same request fails the same way. Every pattern has
 * `metadata: { pack: 'llm', hint }`, the hint a line for the person an escalation reaches.
 * A `degrade` step needs `degradation.levels` and a `correct` step `corrections`: without
 * them the step has nothing to offer, and (their plans having no next step) the error is
 * rethrown.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { defer } from 'rxjs';
 * import { createClassifier, defaultPatterns, withRecovery } from 'rx-recovery';
 * import { llmPatterns } from 'rx-recovery/codegen';
 *
 * const openai = new OpenAI({ maxRetries: 0 }); // the pipeline retries, not the SDK
 * const patterns = [...defaultPatterns, ...llmPatterns];
 *
 * const classifier = createClassifier(patterns);
 * const limited = OpenAI.APIError.generate(
 *   429,
 *   { error: { message: 'Rate limit reached for gpt-4o …', type: 'requests', code: 'rate_limit_exceeded' } },
 *   undefined,
 *   new Headers({ 'retry-after': '7' }),
 * );
 * classifier.classify(limited).pattern?.id; // → 'llm_rate_limited'
 * classifier.classify(limited).plan; // → ['retry', 'escalate']
 *
 * const ask = (prompt: string) =>
 *   defer(() => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }] }));
 * ask(longPrompt)
 *   .pipe(
 *     withRecovery(patterns, {
 *       // a 429 with `retry-after: 7` is retried after 7 s (retryAfterDelay, the default)
 *       degradation: { levels: [{ name: 'short prompt', source: () => ask(summarise(longPrompt)) }] },
 *       escalation: { onEscalate: (record) => pager.notify(record.patternId, record.metadata?.hint) },
 *     }),
 *   )
 *   .subscribe(save);
 * // Output: the completion; after a context-length error, the short prompt's completion;
 * // a bad API key pages someone at once (EscalationError), with no retry.
 * ```
 * @see defaultPatterns for the patterns to spread beside these.
 * @see retryAfterDelay for how a `retry-after` header sets the wait.
 */
export const llmPatterns: readonly ErrorPattern[] = Object.freeze([
  Object.freeze({
    id: 'llm_invalid_json',
    errorType: 'syntax',
    // V8's JSON.parse messages (old and new), Firefox's and Safari's.
    match:
      /\bis not valid JSON\b|\bUnexpected end of JSON input\b|\b(?:in|after) JSON at position \d|\bJSON\.parse: |\bJSON Parse error: /,
    strategy: Object.freeze(['correct'] as const),
    maxRetries: 2,
    priority: 13,
    metadata: Object.freeze({
      pack: 'llm',
      hint: "The model's output is not valid JSON: repair it, or ask the model again.",
    }),
  }),
  Object.freeze({
    id: 'llm_auth_failed',
    errorType: 'validation',
    // `m`: the SDK's message and errorText's `HTTP <status>` line start a line.
    match:
      /^\w+: 40[13] |^HTTP 40[13]$|\b(?:AuthenticationError|PermissionDeniedError)\b|\b(?:invalid_api_key|authentication_error|permission_error)\b|\binvalid x-api-key\b|\bIncorrect API key\b/im,
    strategy: Object.freeze(['escalate'] as const),
    maxRetries: 0,
    priority: 12,
    metadata: Object.freeze({
      pack: 'llm',
      hint: 'The API key is missing, wrong or revoked, or lacks a permission: fix the credentials. Retrying cannot help.',
    }),
  }),
  Object.freeze({
    id: 'llm_quota_exceeded',
    errorType: 'validation',
    match:
      /\binsufficient_quota\b|\bexceeded your current quota\b|spend_limit_reached\b|SpendLimitReachedError\b|\bbilling_error\b|\bcredit balance is too low\b|\bPaymentRequiredError\b|^\w+: 402 |^HTTP 402$/im,
    strategy: Object.freeze(['escalate'] as const),
    maxRetries: 0,
    priority: 12,
    metadata: Object.freeze({
      pack: 'llm',
      hint: 'The account is out of quota, credit or spend limit: raise it. Retrying cannot help.',
    }),
  }),
  Object.freeze({
    id: 'llm_content_filtered',
    errorType: 'validation',
    match:
      /\bcontent_filter\b|\bcontent management policy\b|\bResponsibleAIPolicyViolation\b|\bcontent_policy_violation\b|\brejected by the content filter\b|\bsafety system\b|\brefusal\b/i,
    strategy: Object.freeze(['escalate'] as const),
    maxRetries: 0,
    priority: 11,
    metadata: Object.freeze({
      pack: 'llm',
      hint: "The provider's safety system refused the prompt or the output: change the prompt. The same request gets the same answer.",
    }),
  }),
  Object.freeze({
    id: 'llm_context_length_exceeded',
    errorType: 'validation',
    match:
      /\bcontext_length_exceeded\b|\bmaximum context length\b|\bexceeds the context window\b|\bprompt is too long\b|\bexceed context limit\b|\bRequest too large for\b|\brequest_too_large\b|\bstring_above_max_length\b|\blength limit was reached\b/i,
    strategy: Object.freeze(['degrade'] as const),
    maxRetries: 0,
    priority: 10,
    metadata: Object.freeze({
      pack: 'llm',
      hint: "The request does not fit the model's context window or the provider's size limit: send less.",
    }),
  }),
  Object.freeze({
    id: 'llm_rate_limited',
    errorType: 'transient',
    match:
      /^\w+: 429 |\bRateLimitError\b(?!'| is not\b)|\brate_limit_(?:exceeded|error)\b|\bramp_limit_exceeded\b/im,
    strategy: Object.freeze(['retry', 'escalate'] as const),
    maxRetries: 5,
    priority: 9,
    metadata: Object.freeze({
      pack: 'llm',
      hint: "The provider's rate limit was hit and retries did not outlast it: lower the request rate or raise the limit.",
    }),
  }),
  Object.freeze({
    id: 'llm_overloaded',
    errorType: 'transient',
    // Not a bare `overloaded`: a compiler's "call of overloaded 'f(int)'" is no provider.
    match:
      /^\w+: 529 |\boverloaded_error\b|\bOverloadedError\b(?!'| is not\b)|^\w+: 50[03] [^\n]*\boverloaded\b/im,
    strategy: Object.freeze(['retry', 'escalate'] as const),
    maxRetries: 3,
    priority: 9,
    metadata: Object.freeze({
      pack: 'llm',
      hint: 'The provider stayed overloaded through every retry: try later, or another model or provider.',
    }),
  }),
  Object.freeze({
    id: 'llm_connection_error',
    errorType: 'transient',
    // The SDKs' own texts: Anthropic's class names, OpenAI's messages (its errors are named `Error`).
    match: /^APIConnection(?:Timeout)?Error: |^Error: (?:Connection error|Request timed out)\.$/m,
    strategy: Object.freeze(['retry', 'escalate'] as const),
    maxRetries: 3,
    priority: 9,
    metadata: Object.freeze({
      pack: 'llm',
      hint: 'The request did not reach the provider (network, DNS, proxy or timeout) through every retry.',
    }),
  }),
] as const satisfies readonly ErrorPattern[]);
