/**
 * `rx-recovery/codegen`: what is specific to code-generation workflows — the repair of a
 * missing `async` keyword, as a function and as a correction rule, and a pattern pack for
 * the errors LLM providers' SDKs throw. A separate entry point, so that a program that only
 * retries never ships a code repair.
 *
 * @module
 */
export { asyncKeywordCorrection } from './codegen/asyncKeywordCorrection.js';
export { llmPatterns } from './codegen/llmPatterns.js';
export type { CodeLanguage, RepairMissingAsyncOptions } from './codegen/repairMissingAsync.js';
export { repairMissingAsync } from './codegen/repairMissingAsync.js';
