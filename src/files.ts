/**
 * `rx-recovery/files`: pattern tables that arrive as data — pattern files in JSON or YAML,
 * in the native form or the original Python system's, their zod schema and JSON Schema, and
 * the check that refuses a regex that can backtrack catastrophically. A separate entry point,
 * so that only programs that read pattern files load zod, the YAML parser and the regex
 * checker.
 *
 * @module
 */
export type { ParsePatternsOptions } from './files/parsePatterns.js';
export { parsePatterns } from './files/parsePatterns.js';
export type { PatternFileFormat } from './files/patternFile.js';
export { parsePatternFile, patternFileJsonSchema } from './files/patternFile.js';
export { regexSafetyIssue } from './files/regexSafety.js';
export { ErrorPatternSchema } from './files/schema.js';
