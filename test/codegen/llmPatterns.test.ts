import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';
import fc from 'fast-check';
import OpenAI, { AzureOpenAI } from 'openai';
import { defer, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { llmPatterns } from '../../src/codegen/llmPatterns.js';
import { createClassifier } from '../../src/patterns/classifier.js';
import { defaultPatterns } from '../../src/patterns/defaultPatterns.js';
import { errorText } from '../../src/patterns/errorText.js';
import { retryAfterDelay } from '../../src/strategies/retryAfter.js';

// The errors below are thrown by the real SDK clients: each client gets a `fetch` that
// answers with a recorded status, body and headers (no network), and `maxRetries: 0`.

const patterns = [...defaultPatterns, ...llmPatterns];
/** 17 patterns: above 16, the classifier scans through its literal index. */
const both = createClassifier(patterns);
/** The pack alone: 8 patterns, each regex run in turn. */
const packOnly = createClassifier(llmPatterns);
const defaultsOnly = createClassifier(defaultPatterns);

type HeaderRecord = Record<string, string>;

/** A `fetch` that answers every request with one response. */
const answering =
  (status: number, body: unknown, headers: HeaderRecord = {}) =>
  async (): Promise<Response> =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

const refusing = async (): Promise<Response> => {
  throw new TypeError('fetch failed');
};

/** What a call that must fail rejected with. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the SDK call to fail');
    },
    (error: unknown) => error,
  );
}

const chat = {
  model: 'gpt-4o',
  messages: [{ role: 'user' as const, content: 'Write the service' }],
};
const message = {
  model: 'claude-test-model',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Write the service' }],
};

/** What `openai.chat.completions.create` throws for that HTTP response. */
function openaiError(status: number, error: object | null, headers: HeaderRecord = {}) {
  const fetch = answering(status, error === null ? {} : { error }, {
    'x-request-id': 'req_abc123',
    ...headers,
  });
  const client = new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch });
  return rejection(client.chat.completions.create(chat));
}

/** What Azure OpenAI's client throws for that HTTP response. */
function azureError(status: number, error: object) {
  const client = new AzureOpenAI({
    apiKey: 'azure-test',
    endpoint: 'https://example-resource.openai.azure.com',
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    maxRetries: 0,
    fetch: answering(status, { error }, { 'apim-request-id': 'a1b2' }),
  });
  return rejection(client.chat.completions.create(chat));
}

/** What `openai.chat.completions.parse` throws for a completion that ends so. */
function openaiParseError(finishReason: 'stop' | 'length' | 'content_filter', content: string) {
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_767_225_600,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        finish_reason: finishReason,
        logprobs: null,
        message: { role: 'assistant', content, refusal: null },
      },
    ],
  };
  const client = new OpenAI({
    apiKey: 'sk-test',
    maxRetries: 0,
    fetch: answering(200, completion),
  });
  return rejection(
    client.chat.completions.parse({
      ...chat,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'service',
          strict: true,
          schema: { type: 'object', properties: {}, additionalProperties: false },
        },
      },
    }),
  );
}

/** What `anthropic.messages.create` throws for that HTTP response. */
function anthropicError(
  status: number,
  error: { type: string; message: string; details?: object },
  headers: HeaderRecord = {},
) {
  const body = { type: 'error', error, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
  const fetch = answering(status, body, {
    'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy',
    ...headers,
  });
  const client = new Anthropic({ apiKey: 'sk-ant-test', maxRetries: 0, fetch });
  return rejection(client.messages.create(message));
}

/** A 200 from the Messages API, with the given text and stop reason. */
function anthropicMessage(text: string, stopReason: string) {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-test-model',
    content: text === '' ? [] : [{ type: 'text', text }],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 34 },
  };
}

/** What `anthropic.messages.parse` throws when the model's text is not JSON. */
function anthropicParseError(text: string) {
  const fetch = answering(200, anthropicMessage(text, 'end_turn'));
  const client = new Anthropic({ apiKey: 'sk-ant-test', maxRetries: 0, fetch });
  return rejection(
    client.messages.parse({
      ...message,
      output_config: {
        format: jsonSchemaOutputFormat({
          type: 'object',
          properties: { code: { type: 'string' } },
        }),
      },
    }),
  );
}

/** A JSON.parse failure, as V8 words it, on the model's output. */
function jsonError(output: string): unknown {
  try {
    JSON.parse(output);
  } catch (error) {
    return error;
  }
  throw new Error('expected invalid JSON');
}

// Bodies as the providers send them.
const openaiBodies = {
  rateLimit: {
    message:
      'Rate limit reached for gpt-4o in organization org-abc123 on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
  quota: {
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    type: 'insufficient_quota',
    param: null,
    code: 'insufficient_quota',
  },
  tooLargeForTpm: {
    message:
      'Request too large for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Requested 52000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.',
    type: 'tokens',
    param: null,
    code: 'rate_limit_exceeded',
  },
  badKey: {
    message:
      'Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
  region: {
    message: 'Country, region, or territory not supported',
    type: 'request_forbidden',
    param: null,
    code: 'unsupported_country_region_territory',
  },
  contextLength: {
    message:
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
  overloaded: {
    message: 'The engine is currently overloaded, please try again later',
    type: 'server_error',
    param: null,
    code: null,
  },
  serverError: {
    message:
      'The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists.',
    type: 'server_error',
    param: null,
    code: null,
  },
};

const azureContentFilter = {
  message:
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
  type: null,
  param: 'prompt',
  code: 'content_filter',
  status: 400,
  innererror: {
    code: 'ResponsibleAIPolicyViolation',
    content_filter_result: {
      hate: { filtered: false, severity: 'safe' },
      self_harm: { filtered: false, severity: 'safe' },
      sexual: { filtered: false, severity: 'safe' },
      violence: { filtered: true, severity: 'medium' },
    },
  },
};

const anthropicBodies = {
  rateLimit: {
    type: 'rate_limit_error',
    message:
      'This request would exceed the rate limit for your organization (abc123) of 50,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
  },
  overloaded: { type: 'overloaded_error', message: 'Overloaded' },
  badKey: { type: 'authentication_error', message: 'invalid x-api-key' },
  permission: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  promptTooLong: {
    type: 'invalid_request_error',
    message: 'prompt is too long: 208310 tokens > 200000 maximum',
  },
  requestTooLarge: {
    type: 'request_too_large',
    message: 'Request exceeds the maximum allowed number of bytes.',
  },
  creditTooLow: {
    type: 'invalid_request_error',
    message:
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  },
  spendLimit: {
    type: 'rate_limit_error',
    message: "You have reached your organization's enforced spend limit.",
    details: { error_code: 'enforced_spend_limit_reached' },
  },
  rampLimit: {
    type: 'rate_limit_error',
    message: 'This request would exceed your ramp limit. Please retry later.',
    details: { error_code: 'ramp_limit_exceeded' },
  },
  apiError: { type: 'api_error', message: 'Internal server error' },
};

interface Case {
  readonly label: string;
  readonly thrown: () => Promise<unknown>;
  /** The pattern that must win when defaults and pack are spread together; undefined: none. */
  readonly id: string | undefined;
  readonly plan: readonly string[];
}

const cases: readonly Case[] = [
  // OpenAI: every error is named `Error`; the code is a line of its own.
  {
    label: 'OpenAI 429 rate limit, retry-after: 7',
    thrown: () => openaiError(429, openaiBodies.rateLimit, { 'retry-after': '7' }),
    id: 'llm_rate_limited',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'OpenAI 429 insufficient_quota',
    thrown: () => openaiError(429, openaiBodies.quota),
    id: 'llm_quota_exceeded',
    plan: ['escalate'],
  },
  {
    label: 'OpenAI 429 request too large for the TPM limit',
    thrown: () => openaiError(429, openaiBodies.tooLargeForTpm),
    id: 'llm_context_length_exceeded',
    plan: ['degrade'],
  },
  {
    label: 'OpenAI 429 without a body',
    thrown: () => openaiError(429, null),
    id: 'llm_rate_limited',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'OpenAI 401 invalid_api_key',
    thrown: () => openaiError(401, openaiBodies.badKey),
    id: 'llm_auth_failed',
    plan: ['escalate'],
  },
  {
    label: 'OpenAI 403 unsupported region',
    thrown: () => openaiError(403, openaiBodies.region),
    id: 'llm_auth_failed',
    plan: ['escalate'],
  },
  {
    label: 'OpenAI 400 context_length_exceeded',
    thrown: () => openaiError(400, openaiBodies.contextLength),
    id: 'llm_context_length_exceeded',
    plan: ['degrade'],
  },
  {
    label: 'Azure OpenAI 400 content_filter',
    thrown: () => azureError(400, azureContentFilter),
    id: 'llm_content_filtered',
    plan: ['escalate'],
  },
  {
    label: 'OpenAI 503 overloaded',
    thrown: () => openaiError(503, openaiBodies.overloaded),
    id: 'llm_overloaded',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'OpenAI 500 server_error (not known to be transient)',
    thrown: () => openaiError(500, openaiBodies.serverError),
    id: undefined,
    plan: [],
  },
  {
    label: 'OpenAI connection error',
    thrown: () =>
      rejection(
        new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch: refusing }).chat.completions.create(
          chat,
        ),
      ),
    id: 'llm_connection_error',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'OpenAI parse: finish_reason content_filter',
    thrown: () => openaiParseError('content_filter', ''),
    id: 'llm_content_filtered',
    plan: ['escalate'],
  },
  {
    label: 'OpenAI parse: finish_reason length',
    thrown: () => openaiParseError('length', '{"service": "export async function'),
    id: 'llm_context_length_exceeded',
    plan: ['degrade'],
  },
  {
    label: 'OpenAI parse: output that is not JSON',
    thrown: () => openaiParseError('stop', 'Here is the JSON you asked for: {"service": "…"}'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  // Anthropic: named after the class; the message is the status and the JSON body.
  {
    label: 'Anthropic 429 rate_limit_error, retry-after: 7',
    thrown: () => anthropicError(429, anthropicBodies.rateLimit, { 'retry-after': '7' }),
    id: 'llm_rate_limited',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'Anthropic 529 overloaded_error',
    thrown: () => anthropicError(529, anthropicBodies.overloaded),
    id: 'llm_overloaded',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'Anthropic 401 authentication_error',
    thrown: () => anthropicError(401, anthropicBodies.badKey),
    id: 'llm_auth_failed',
    plan: ['escalate'],
  },
  {
    label: 'Anthropic 403 permission_error',
    thrown: () => anthropicError(403, anthropicBodies.permission),
    id: 'llm_auth_failed',
    plan: ['escalate'],
  },
  {
    label: 'Anthropic 400 prompt is too long',
    thrown: () => anthropicError(400, anthropicBodies.promptTooLong),
    id: 'llm_context_length_exceeded',
    plan: ['degrade'],
  },
  {
    label: 'Anthropic 413 request_too_large',
    thrown: () => anthropicError(413, anthropicBodies.requestTooLarge),
    id: 'llm_context_length_exceeded',
    plan: ['degrade'],
  },
  {
    label: 'Anthropic 400 credit balance too low',
    thrown: () => anthropicError(400, anthropicBodies.creditTooLow),
    id: 'llm_quota_exceeded',
    plan: ['escalate'],
  },
  {
    label: 'Anthropic 429 enforced_spend_limit_reached',
    thrown: () => anthropicError(429, anthropicBodies.spendLimit),
    id: 'llm_quota_exceeded',
    plan: ['escalate'],
  },
  {
    label: 'Anthropic 429 ramp_limit_exceeded',
    thrown: () => anthropicError(429, anthropicBodies.rampLimit, { 'retry-after': '30' }),
    id: 'llm_rate_limited',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'Anthropic 500 api_error (not known to be transient)',
    thrown: () => anthropicError(500, anthropicBodies.apiError),
    id: undefined,
    plan: [],
  },
  {
    label: 'Anthropic connection error',
    thrown: () =>
      rejection(
        new Anthropic({ apiKey: 'sk-ant-test', maxRetries: 0, fetch: refusing }).messages.create(
          message,
        ),
      ),
    id: 'llm_connection_error',
    plan: ['retry', 'escalate'],
  },
  {
    label: 'Anthropic parse: output that is not JSON',
    thrown: () => anthropicParseError('Sure! Here is the service: {"code": "…"}'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  // JSON.parse on the model's output, as application code calls it.
  {
    label: 'JSON.parse: prose before the JSON',
    thrown: async () => jsonError('Here is the JSON: {"a": 1}'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  {
    label: 'JSON.parse: output cut short',
    thrown: async () => jsonError(''),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  {
    label: 'JSON.parse: a Markdown fence',
    thrown: async () => jsonError('```json\n{"a": 1}\n```'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  {
    label: 'JSON.parse: truncated object',
    thrown: async () => jsonError('{"a": 1,'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
  {
    label: 'JSON.parse: text after the JSON',
    thrown: async () => jsonError('{"a": 1} Let me know if…'),
    id: 'llm_invalid_json',
    plan: ['correct'],
  },
];

describe('llmPatterns: the pack', () => {
  it('is frozen, validated, and every id is unique and starts with llm_', () => {
    expect(Object.isFrozen(llmPatterns)).toBe(true);
    for (const pattern of llmPatterns) {
      expect(Object.isFrozen(pattern), pattern.id).toBe(true);
      expect(Object.isFrozen(pattern.strategy), pattern.id).toBe(true);
      expect(Object.isFrozen(pattern.metadata), pattern.id).toBe(true);
      expect(pattern.id).toMatch(/^llm_[a-z_]+$/);
      expect(pattern.metadata).toEqual({ pack: 'llm', hint: expect.any(String) });
    }
    expect(new Set(llmPatterns.map((p) => p.id)).size).toBe(llmPatterns.length);
    // createClassifier validates every pattern, the backtracking check included.
    expect(packOnly.patterns).toHaveLength(llmPatterns.length);
  });

  it('outranks every default pattern that could claim an LLM error', () => {
    const defaultTransient = defaultPatterns
      .filter((p) => p.errorType === 'transient' || p.errorType === 'timeout')
      .map((p) => p.priority ?? 5);
    for (const pattern of llmPatterns) {
      expect(pattern.priority, pattern.id).toBeGreaterThan(Math.max(...defaultTransient));
    }
  });

  it('never retries what a wait cannot cure', () => {
    for (const id of ['llm_auth_failed', 'llm_quota_exceeded', 'llm_content_filtered']) {
      const pattern = llmPatterns.find((p) => p.id === id);
      expect(pattern?.strategy, id).toEqual(['escalate']);
      expect(pattern?.maxRetries, id).toBe(0);
    }
    const context = llmPatterns.find((p) => p.id === 'llm_context_length_exceeded');
    expect(context?.strategy).toEqual(['degrade']);
  });

  it('is documented by the table in its TSDoc, row for row', () => {
    const source = readFileSync(
      new URL('../../src/codegen/llmPatterns.ts', import.meta.url),
      'utf8',
    );
    const rows = [...source.matchAll(/^ \* \| `(llm_\w+)` \| (\d+) \| (\w+) \| ([^|]+) \|/gm)].map(
      ([, id, priority, errorType, plan]) => ({
        id,
        priority: Number(priority),
        errorType,
        plan: plan?.trim(),
      }),
    );
    const described = llmPatterns.map((p) => {
      const steps = [...(Array.isArray(p.strategy) ? p.strategy : [p.strategy])] as string[];
      const plan = steps
        .map((step) =>
          step === 'retry' || step === 'correct' ? `${step} (${p.maxRetries})` : step,
        )
        .join(' → ');
      return { id: p.id, priority: p.priority, errorType: p.errorType, plan };
    });
    expect(rows).toEqual(described);
  });
});

describe('llmPatterns: the errors the SDKs really throw', () => {
  it('OpenAI: named Error, message "<status> <error.message>", code and status on the error', async () => {
    const error = (await openaiError(429, openaiBodies.rateLimit, {
      'retry-after': '7',
    })) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.name).toBe('Error');
    expect(error.message).toBe(`429 ${openaiBodies.rateLimit.message}`);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.status).toBe(429);
    expect(error.headers.get('retry-after')).toBe('7');
    expect(errorText(error)).toBe(
      `Error: 429 ${openaiBodies.rateLimit.message}\nrate_limit_exceeded\nHTTP 429`,
    );
    const connection = await rejection(
      new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetch: refusing }).chat.completions.create(
        chat,
      ),
    );
    expect(connection).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(errorText(connection)).toBe('Error: Connection error.');
  });

  it('Anthropic: named after the class, message "<status> <JSON body>", no code', async () => {
    const error = (await anthropicError(529, anthropicBodies.overloaded)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.name).toBe('OverloadedError');
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
    expect((error as unknown as { code?: unknown }).code).toBeUndefined();
    expect(errorText(error)).toBe(
      'OverloadedError: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}\nHTTP 529',
    );
    const spend = await anthropicError(429, anthropicBodies.spendLimit);
    expect(spend).toBeInstanceOf(Anthropic.RateLimitError);
    expect((spend as Error).name).toBe('EnforcedSpendLimitReachedError');
  });

  it('APIError.generate builds what the clients throw', async () => {
    const openai = OpenAI.APIError.generate(
      429,
      { error: openaiBodies.rateLimit },
      undefined,
      new Headers({ 'retry-after': '7' }),
    );
    expect(errorText(openai)).toBe(
      errorText(await openaiError(429, openaiBodies.rateLimit, { 'retry-after': '7' })),
    );
    const body = {
      type: 'error',
      error: anthropicBodies.badKey,
      request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
    };
    const anthropic = Anthropic.APIError.generate(401, body, undefined, new Headers());
    expect(anthropic).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(errorText(anthropic)).toBe(errorText(await anthropicError(401, anthropicBodies.badKey)));
  });
});

describe('llmPatterns: classification', () => {
  it.each(cases)('$label → $id', async ({ thrown, id, plan }) => {
    const error = await thrown();
    const spread = both.classify(error);
    expect(spread.pattern?.id, errorText(error)).toBe(id);
    expect(spread.plan).toEqual(plan);
    // The pack alone decides the same.
    expect(packOnly.classify(error).pattern?.id).toBe(id);
  });

  it('wins over the defaults, which would retry a quota, a spend limit or a request too large', async () => {
    const retriedByDefaults = [
      await openaiError(429, openaiBodies.quota),
      await openaiError(429, openaiBodies.tooLargeForTpm),
      await anthropicError(429, anthropicBodies.spendLimit),
    ];
    for (const error of retriedByDefaults) {
      expect(defaultsOnly.classify(error).pattern?.id).toBe('rate_limited');
      expect(both.classify(error).plan).not.toContain('retry');
    }
    const overloaded = await anthropicError(529, anthropicBodies.overloaded);
    expect(defaultsOnly.classify(overloaded).pattern?.id).toBe('service_unavailable');
    expect(both.classify(overloaded).pattern?.id).toBe('llm_overloaded');
    expect(both.explain(overloaded).map((m) => m.pattern.id)).toEqual([
      'llm_overloaded',
      'service_unavailable',
    ]);
  });

  it('reads invalid JSON first: V8 quotes the output, which may look like anything', () => {
    const quoted = jsonError('Rate limit');
    expect(errorText(quoted)).toBe(
      'SyntaxError: Unexpected token \'R\', "Rate limit" is not valid JSON',
    );
    expect(defaultsOnly.classify(quoted).pattern?.id).toBe('rate_limited');
    expect(both.classify(quoted).pattern?.id).toBe('llm_invalid_json');
    expect(both.classify(jsonError('Incorrect API key')).pattern?.id).toBe('llm_invalid_json');
  });

  it('routes an Anthropic refusal (an answer, not an error) once it is thrown as one', async () => {
    const fetch = answering(200, anthropicMessage('', 'refusal'));
    const reply = await new Anthropic({
      apiKey: 'sk-ant-test',
      maxRetries: 0,
      fetch,
    }).messages.create(message);
    expect(reply.stop_reason).toBe('refusal');
    const refused = new Error(`Claude ended with stop_reason: ${reply.stop_reason}`);
    expect(both.classify(refused).pattern?.id).toBe('llm_content_filtered');
  });

  it('never classifies a 401 or 403 of either SDK as retryable, whatever its body says', () => {
    const noise = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'Rate limit reached',
        'rate_limit_error',
        'Overloaded',
        'overloaded_error',
        'Request timed out',
        'Service Unavailable',
        'ECONNRESET',
        'quorum not reached',
        'prompt is too long',
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(401, 403),
        fc.constantFrom('openai', 'anthropic'),
        noise,
        fc.option(fc.constantFrom('rate_limit_exceeded', 'invalid_api_key', 'server_error'), {
          nil: null,
        }),
        (status, sdk, text, code) => {
          const headers = new Headers({ 'retry-after': '1' });
          const error =
            sdk === 'openai'
              ? OpenAI.APIError.generate(
                  status,
                  { error: { message: text, type: 'x', code } },
                  undefined,
                  headers,
                )
              : Anthropic.APIError.generate(
                  status,
                  { type: 'error', error: { type: 'rate_limit_error', message: text } },
                  undefined,
                  headers,
                );
          const { pattern, plan } = both.classify(error);
          expect(pattern?.id, errorText(error)).toBe('llm_auth_failed');
          expect(plan).toEqual(['escalate']);
        },
      ),
    );
  });

  it('leaves what is no LLM error to the defaults', () => {
    const compiler = new Error("error: call of overloaded 'f(int)' is ambiguous");
    const fileSystem = Object.assign(new Error("EACCES: permission denied, open '/srv/out.ts'"), {
      code: 'EACCES',
    });
    const plain429 = Object.assign(new Error('Too Many Requests'), { status: 429 });
    const plain503 = Object.assign(new Error('Service Unavailable'), { status: 503 });
    expect(both.classify(compiler).pattern).toBeUndefined();
    expect(both.classify(fileSystem).pattern).toBeUndefined();
    expect(both.classify(plain429).pattern?.id).toBe('rate_limited');
    expect(both.classify(plain503).pattern?.id).toBe('service_unavailable');
    expect(both.classify(new Error('Request timed out after 30s')).pattern?.id).toBe(
      'operation_timeout',
    );
  });
});

// ---------------------------------------------------------------------------------------
// Routing through withRecovery, in virtual time. The operator is imported when the tests
// run, so that the classification tests above still run while the engine is rebuilt.

type WithRecovery = typeof import('../../src/operators/withRecovery.js').withRecovery;
const loadWithRecovery = async (): Promise<WithRecovery> =>
  (await import('../../src/operators/withRecovery.js')).withRecovery;

const scheduler = () =>
  new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected);
  });

/**
 * `delayFromError` as the retry step calls it — `(error, attempt, now)`, `now` the
 * scheduler's time — and as an engine that passes only `(error, attempt)` would: then
 * `now` is read from the test scheduler (0 when `run` starts).
 */
const dictatedBy = (testScheduler: TestScheduler) => ({
  delayFromError: (error: unknown, attempt: number, now: number = testScheduler.now()) =>
    retryAfterDelay(error, attempt, now),
});

const escalation = (cause: unknown) =>
  expect.objectContaining({ name: 'EscalationError', isEscalationError: true, cause });

describe('llmPatterns: routed by withRecovery', () => {
  it('resubscribes an OpenAI 429 with retry-after: 7 after exactly 7 s', async () => {
    const withRecovery = await loadWithRecovery();
    const error = await openaiError(429, openaiBodies.rateLimit, { 'retry-after': '7' });
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limited = cold<string>('-#', undefined, error);
      const answered = cold<string>('-a|');
      let calls = 0;
      const source = defer(() => (calls++ === 0 ? limited : answered));
      const result = source.pipe(
        withRecovery<string>(patterns, {
          scheduler: testScheduler,
          retry: dictatedBy(testScheduler),
        }),
      );
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(                 '- 7000ms -a|');
      // biome-ignore format: aligned marbles
      expectSubscriptions(limited.subscriptions).toBe( '^!');
      // biome-ignore format: aligned marbles
      expectSubscriptions(answered.subscriptions).toBe('7001ms ^-!');
    });
  });

  it('honours retry-after with no retry options: retryAfterDelay is the default', async () => {
    const withRecovery = await loadWithRecovery();
    const error = await anthropicError(429, anthropicBodies.rateLimit, { 'retry-after': '7' });
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limited = cold<string>('-#', undefined, error);
      const answered = cold<string>('-a|');
      let calls = 0;
      const source = defer(() => (calls++ === 0 ? limited : answered));
      const result = source.pipe(withRecovery<string>(patterns, { scheduler: testScheduler }));
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(                 '- 7000ms -a|');
      // biome-ignore format: aligned marbles
      expectSubscriptions(limited.subscriptions).toBe( '^!');
      // biome-ignore format: aligned marbles
      expectSubscriptions(answered.subscriptions).toBe('7001ms ^-!');
    });
  });

  it('waits out an Anthropic 529 until its HTTP-date, measured from the scheduler', async () => {
    const withRecovery = await loadWithRecovery();
    const error = await anthropicError(529, anthropicBodies.overloaded, {
      'retry-after': 'Thu, 01 Jan 1970 00:00:05 GMT',
    });
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const overloaded = cold<string>('--#', undefined, error);
      const answered = cold<string>('-a|');
      let calls = 0;
      const source = defer(() => (calls++ === 0 ? overloaded : answered));
      const result = source.pipe(
        withRecovery<string>(patterns, {
          scheduler: testScheduler,
          retry: dictatedBy(testScheduler),
        }),
      );
      // Failed at 2 ms; the date is 5000 ms: a wait of 4998 ms.
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(                   '5000ms -a|');
      // biome-ignore format: aligned marbles
      expectSubscriptions(overloaded.subscriptions).toBe('^-!');
      // biome-ignore format: aligned marbles
      expectSubscriptions(answered.subscriptions).toBe(  '5000ms ^-!');
    });
  });

  it('retries an overloaded Anthropic API three times, then escalates', async () => {
    const withRecovery = await loadWithRecovery();
    const error = await anthropicError(529, anthropicBodies.overloaded, { 'retry-after': '2' });
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('-#', undefined, error);
      const result = source.pipe(
        withRecovery<string>(patterns, {
          scheduler: testScheduler,
          retry: dictatedBy(testScheduler),
        }),
      );
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe('6004ms #', undefined, escalation(error));
      // biome-ignore format: aligned marbles
      expectSubscriptions(source.subscriptions).toBe([
        '^!',
        '2001ms ^!',
        '4002ms ^!',
        '6003ms ^!',
      ]);
    });
  });

  it.each([
    [
      'OpenAI 401 invalid_api_key',
      () => openaiError(401, openaiBodies.badKey, { 'retry-after': '1' }),
    ],
    ['Anthropic 401 authentication_error', () => anthropicError(401, anthropicBodies.badKey)],
    ['Anthropic 403 permission_error', () => anthropicError(403, anthropicBodies.permission)],
    [
      'OpenAI 429 insufficient_quota',
      () => openaiError(429, openaiBodies.quota, { 'retry-after': '1' }),
    ],
    ['Azure OpenAI 400 content_filter', () => azureError(400, azureContentFilter)],
  ])('escalates %s at once, with no resubscription', async (_label, thrown) => {
    const withRecovery = await loadWithRecovery();
    const error = await thrown();
    const records: { patternId?: string | undefined }[] = [];
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('-#', undefined, error);
      const result = source.pipe(
        withRecovery<string>(patterns, {
          scheduler: testScheduler,
          retry: dictatedBy(testScheduler),
          escalation: {
            onEscalate: (record) => {
              records.push(record);
            },
          },
        }),
      );
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(             '-#', undefined, escalation(error));
      // biome-ignore format: aligned marbles
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.patternId).toBe(both.classify(error).pattern?.id);
  });

  it('degrades a context-length error to a shorter prompt', async () => {
    const withRecovery = await loadWithRecovery();
    const error = await openaiError(400, openaiBodies.contextLength);
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fullPrompt = cold<string>('-#', undefined, error);
      const shortPrompt = cold<string>('--s|', { s: 'completion of the short prompt' });
      const result = fullPrompt.pipe(
        withRecovery<string>(patterns, {
          scheduler: testScheduler,
          degradation: { levels: [{ name: 'short prompt', source: () => shortPrompt }] },
        }),
      );
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(                     '---s|', { s: 'completion of the short prompt' });
      // biome-ignore format: aligned marbles
      expectSubscriptions(fullPrompt.subscriptions).toBe( '^!');
      // biome-ignore format: aligned marbles
      expectSubscriptions(shortPrompt.subscriptions).toBe('-^--!');
    });
  });

  it('hands invalid JSON to a correction rule, which extracts the object', async () => {
    const withRecovery = await loadWithRecovery();
    const output = 'Here is the JSON you asked for: {"service": "ok"}';
    const error = await openaiParseError('stop', output);
    expect(error).toBeInstanceOf(SyntaxError);
    type Parsed = { service: string };
    const matched: string[] = [];
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Parsed>('-#', undefined, error);
      const result = source.pipe(
        withRecovery<Parsed>(patterns, {
          scheduler: testScheduler,
          context: { state: { output } },
          corrections: [
            {
              id: 'extract_json_object',
              match: /is not valid JSON/,
              correct: (_error, context) => {
                matched.push(context.patternId ?? 'none');
                const text = (context.state as { output?: unknown } | undefined)?.output;
                const object = typeof text === 'string' ? /\{[\s\S]*\}/.exec(text) : null;
                return object === null ? undefined : of(JSON.parse(object[0]) as Parsed);
              },
            },
          ],
        }),
      );
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe(             '-(j|)', { j: { service: 'ok' } });
      // biome-ignore format: aligned marbles
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
    expect(matched).toEqual(['llm_invalid_json']);
  });
});
