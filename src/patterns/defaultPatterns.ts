import type { ErrorPattern } from './errorPattern.js';

/**
 * The six built-in patterns, all case-insensitive, highest priority first:
 *
 * | id | priority | errorType | plan (maxRetries) |
 * |---|---|---|---|
 * | `missing_async_keyword` | 10 | syntax | correct → escalate |
 * | `import_not_found` | 8 | import | alternative → escalate |
 * | `template_rendering_error` | 7 | template | alternative → degrade |
 * | `validation_failed` | 6 | validation | degrade |
 * | `quorum_consensus_failed` | 6 | quorum | retry (2) → escalate |
 * | `operation_timeout` | 5 | timeout | retry (3) → escalate |
 *
 * In plain words: what {@link withRecovery} and {@link classify} use when you give no
 * patterns. Spread them into your own table to keep them, or filter them.
 *
 * @example
 * ```ts
 * import { createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * defaultPatterns.map((pattern) => pattern.id);
 * // → ['missing_async_keyword', 'import_not_found', 'template_rendering_error',
 * //    'validation_failed', 'quorum_consensus_failed', 'operation_timeout']
 *
 * // The built-ins plus yours; a higher priority runs first.
 * const classifier = createClassifier([
 *   ...defaultPatterns,
 *   { id: 'rate_limit', errorType: 'transient', match: /\b429\b/, strategy: 'retry', priority: 9 },
 * ]);
 * // The built-ins without the timeout retry.
 * const noTimeouts = createClassifier(defaultPatterns.filter((p) => p.id !== 'operation_timeout'));
 * noTimeouts.classify(new Error('Request timed out')).plan; // → []
 * ```
 */
export const defaultPatterns: readonly ErrorPattern[] = Object.freeze([
  Object.freeze({
    id: 'missing_async_keyword',
    errorType: 'syntax',
    match:
      /await is only valid in async functions?|'await' expressions are only allowed within async functions?|'await' outside (?:an )?async function/i,
    strategy: Object.freeze(['correct', 'escalate'] as const),
    maxRetries: 3,
    priority: 10,
  }),
  Object.freeze({
    id: 'import_not_found',
    errorType: 'import',
    match:
      /Cannot find module|ERR_MODULE_NOT_FOUND|ModuleNotFoundError|ImportError|No module named/i,
    strategy: Object.freeze(['alternative', 'escalate'] as const),
    maxRetries: 3,
    priority: 8,
  }),
  Object.freeze({
    id: 'template_rendering_error',
    errorType: 'template',
    match:
      /TemplateError|TemplateSyntaxError|UndefinedError|template render(?:ing|er)?\b[^\n]{0,40}?\b(?:error|failed)/i,
    strategy: Object.freeze(['alternative', 'degrade'] as const),
    maxRetries: 3,
    priority: 7,
  }),
  Object.freeze({
    id: 'validation_failed',
    errorType: 'validation',
    match: /ValidationError|ZodError|validation failed/i,
    strategy: Object.freeze(['degrade'] as const),
    maxRetries: 3,
    priority: 6,
  }),
  Object.freeze({
    id: 'quorum_consensus_failed',
    errorType: 'quorum',
    match: /quorum (?:was )?not (?:reached|met)|consensus failed/i,
    strategy: Object.freeze(['retry', 'escalate'] as const),
    maxRetries: 2,
    priority: 6,
  }),
  Object.freeze({
    id: 'operation_timeout',
    errorType: 'timeout',
    match: /\bTimeoutError\b|\btimed out\b|\btime-?out\b|\bETIMEDOUT\b|\bdeadline exceeded\b/i,
    strategy: Object.freeze(['retry', 'escalate'] as const),
    maxRetries: 3,
    priority: 5,
  }),
] as const satisfies readonly ErrorPattern[]);
