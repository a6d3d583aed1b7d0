/**
 * Classifies realistic failures of a code-generation workflow with the default patterns
 * and prints what rx-recovery would do with each: `npx tsx examples/classify-table.ts`.
 */
import { TimeoutError } from 'rxjs';
import { createClassifier, defaultPatterns } from '../src/index.js';

const failures: unknown[] = [
  new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
  "SyntaxError: 'await' outside async function",
  Object.assign(new Error("Cannot find package 'zod' imported from /app/gen/schema.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  }),
  "ModuleNotFoundError: No module named 'pydantic'",
  "jinja2.exceptions.UndefinedError: 'contract' is undefined",
  'TemplateSyntaxError: unexpected end of template, expected "endfor"',
  'ValidationError: 1 validation error for Contract: name field required',
  'Quorum not reached: 1 of 3 reviewers approved the generated code',
  new TimeoutError(),
  Object.assign(new Error('connect to model server failed'), { code: 'ETIMEDOUT' }),
  new TypeError("Cannot read properties of undefined (reading 'map')"),
  'disk quota exceeded',
];

const classifier = createClassifier(defaultPatterns);
const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
const clip = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);

const rows = failures.map((error) => {
  const { pattern, errorType, plan } = classifier.classify(error);
  return [
    describe(error),
    errorType,
    pattern?.id ?? '—',
    plan.length > 0 ? plan.join(' → ') : 'rethrow',
  ];
});
const header = ['error', 'type', 'pattern', 'plan'];
const widths = [60, 10, 24, 22];
const line = (cells: string[]) =>
  cells
    .map((cell, i) => clip(cell, widths[i] ?? 10))
    .join('  ')
    .trimEnd();

console.log('rx-recovery: how the default patterns classify code-generation failures\n');
console.log(line(header));
console.log(widths.map((w) => '─'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
const matched = rows.filter((row) => row[1] !== 'unknown').length;
console.log(
  `\n${matched} of ${rows.length} errors matched a pattern; the rest are rethrown untouched.`,
);
