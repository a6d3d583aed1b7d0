import { TimeoutError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { classify, createClassifier, defaultPatterns } from '../../src/index.js';

const positives: Record<string, unknown[]> = {
  missing_async_keyword: [
    new SyntaxError('await is only valid in async function'),
    new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
    "error TS1308: 'await' expressions are only allowed within async functions and at the top levels of modules.",
    "SyntaxError: 'await' outside async function",
    'AWAIT IS ONLY VALID IN ASYNC FUNCTION',
  ],
  import_not_found: [
    new Error("Cannot find module './template-engine'"),
    Object.assign(new Error("Cannot find package 'left-pad' imported from /app/index.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
    "ModuleNotFoundError: No module named 'pydantic'",
    'ImportError: cannot import name "BaseModel" from "pydantic"',
    "No module named 'numpy'",
  ],
  template_rendering_error: [
    'jinja2.exceptions.TemplateSyntaxError: unexpected end of template',
    'TemplateError: unknown filter "titlecase"',
    "jinja2.exceptions.UndefinedError: 'contract' is undefined",
    'Template rendering failed for service.ts.j2',
    'template render error: missing partial',
  ],
  validation_failed: [
    'ValidationError: 2 validation errors for Contract',
    new (class ZodError extends Error {
      override name = 'ZodError';
    })('[{"code":"invalid_type"}]'),
    'Schema validation failed: missing field "name"',
  ],
  quorum_consensus_failed: [
    'Quorum not reached: 1 of 3 reviewers approved',
    'consensus failed after 3 rounds',
  ],
  operation_timeout: [
    new TimeoutError(),
    'Request timed out after 30000ms',
    'operation timeout',
    Object.assign(new Error('connect failed'), { code: 'ETIMEDOUT' }),
    'Error: ETIMEDOUT',
  ],
};

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
  operation_timeout: ['setTimeout is not defined', 'clearTimeout(handle)', 'time is out of joint'],
};

describe('defaultPatterns', () => {
  it('holds the six documented patterns with their priorities and plans', () => {
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
    ]);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(defaultPatterns)).toBe(true);
    for (const pattern of defaultPatterns) {
      expect(Object.isFrozen(pattern)).toBe(true);
      expect(Object.isFrozen(pattern.strategy)).toBe(true);
    }
  });

  for (const [id, errors] of Object.entries(positives)) {
    it.each(errors.map((error) => [String(error), error]))(`${id} matches %s`, (_, error) => {
      expect(classify(error).pattern?.id).toBe(id);
    });
  }

  for (const [id, messages] of Object.entries(negatives)) {
    it.each(messages)(`${id} does not match %j`, (message) => {
      const ids = createClassifier(defaultPatterns)
        .explain(message)
        .map((m) => m.pattern.id);
      expect(ids).not.toContain(id);
    });
  }
});
