import { readFileSync } from 'node:fs';
import { parsePatternFile } from '../src/files.js';
import {
  createClassifier,
  defaultPatterns,
  type ErrorPattern,
  isRecoveryConfigError,
  type ResolvedErrorPattern,
} from '../src/index.js';
import { UsageError } from './usage.js';

/** Reads a pattern file, JSON or YAML by its extension, or explains in one line why it cannot. */
function readPatternFile(file: string): readonly ResolvedErrorPattern[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why: Record<string, string> = {
      ENOENT: 'no such file',
      EISDIR: 'it is a directory, not a pattern file',
      EACCES: 'permission denied',
    };
    throw new UsageError(`cannot read ${file}: ${why[code ?? ''] ?? code ?? String(error)}`);
  }
  const format = /\.ya?ml$/i.test(file) ? 'yaml' : 'json';
  try {
    return parsePatternFile(text, format);
  } catch (error) {
    const syntax = isRecoveryConfigError(error)
      ? /^file: invalid (JSON|YAML)(.*)$/.exec(error.issues[0] ?? '')
      : null;
    if (syntax !== null) throw new UsageError(`${file} is not valid ${syntax[1]}${syntax[2]}`);
    throw error;
  }
}

/** `rx-recovery classify "<message>" [--patterns FILE]` */
export function classifyCommand(message: string, patternsFile: string | undefined): string {
  let patterns: readonly ErrorPattern[] = defaultPatterns;
  if (patternsFile !== undefined) {
    try {
      patterns = readPatternFile(patternsFile);
    } catch (error) {
      if (!isRecoveryConfigError(error)) throw error;
      throw new UsageError(
        `${patternsFile} is not a valid pattern file (run: rx-recovery validate ${patternsFile})`,
      );
    }
  }
  const classifier = createClassifier(patterns);
  const [first, ...others] = classifier.explain(message);
  if (first === undefined) {
    return [
      `message:    ${message}`,
      'pattern:    none (unknown error)',
      'plan:       rethrow',
    ].join('\n');
  }
  const { pattern } = first;
  const lines = [
    `message:    ${message}`,
    `pattern:    ${pattern.id} (priority ${pattern.priority})`,
    `error type: ${pattern.errorType}`,
    `plan:       ${pattern.strategy.join(' → ')} (maxRetries ${pattern.maxRetries})`,
    `matched:    "${first.matched}" at ${first.index}`,
  ];
  if (others.length > 0) {
    lines.push('also matching, lower in priority:');
    for (const { pattern: other, matched } of others) {
      lines.push(`  ${other.id} (priority ${other.priority}, ${other.errorType}): "${matched}"`);
    }
  }
  return lines.join('\n');
}

/** `rx-recovery validate FILE`: the lines to print and the exit code. */
export function validateCommand(file: string): { output: string; exitCode: 0 | 1 } {
  try {
    const patterns = readPatternFile(file);
    return { output: `${file}: ${patterns.length} valid pattern(s)`, exitCode: 0 };
  } catch (error) {
    if (!isRecoveryConfigError(error)) throw error;
    return { output: error.issues.map((issue) => `${file}: ${issue}`).join('\n'), exitCode: 1 };
  }
}
