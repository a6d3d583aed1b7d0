/**
 * `rx-recovery/files`: reading pattern files (JSON or YAML) and their JSON Schema. A
 * separate entry point, so that only programs that read files load the YAML parser.
 *
 * @module
 */
export type { PatternFileFormat } from './patterns/patternFile.js';
export { parsePatternFile, patternFileJsonSchema } from './patterns/patternFile.js';
