import { javascriptAwaits } from './repairMissingAsyncJavaScript.js';
import { pythonAwaits } from './repairMissingAsyncPython.js';
import type { AwaitSite } from './repairMissingAsyncText.js';

/**
 * The languages {@link repairMissingAsync} can repair.
 *
 * @inline
 */
export type CodeLanguage = 'javascript' | 'python';

/**
 * Options for {@link repairMissingAsync}.
 *
 * @inline
 */
export interface RepairMissingAsyncOptions {
  /** The language of `code`; detected when absent (Python only on clear signs). */
  language?: CodeLanguage | undefined;
  /** 1-based line of the offending `await`: only the function around it is repaired. */
  line?: number | undefined;
}

/**
 * Makes the function that contains an offending `await` async, only when that is certain.
 *
 * Repairs "await is only valid in async functions" (JavaScript), "'await' expressions are only
 * allowed within async functions" (TypeScript) and "SyntaxError: 'await' outside async function"
 * (Python) by inserting `async ` in front of the innermost function around each such `await`.
 * A TypeScript return type follows: `: T` becomes `: Promise<T>` (`: Promise<T>` stays, a
 * generator's `Generator<…>` becomes `AsyncGenerator<…>`), and so does the return type of a
 * function type declared for it (`const f: (id: string) => T = …`). With `options.line`, only the
 * awaits on that line are considered. Nothing else is changed: the repair only ever inserts text.
 * A function type is read as a type wherever one is written — a variable's, a parameter's, a
 * field's or a return type, type arguments (`new Map<string, () => void>(…)`), after `as` or
 * `satisfies`, `type` and `interface` declarations — and never made async.
 *
 * It declines where `async` would change what the code means: a callback handed to an array
 * method (`forEach`, `map`, `filter`, `reduce`, `reduceRight`, `some`, `every`, `find`,
 * `findIndex`, `findLast`, `findLastIndex`, `flatMap`, `sort`, `toSorted`, or an RxJS operator of
 * those names) would become a fire-and-forget or an array of promises. The one exception is
 * `Promise.all(xs.map(…))` (or `allSettled`, `any`, `race`), which asks for those promises.
 *
 * It is the fix behind the built-in `missing_async_keyword` correction, exported for use
 * on its own. It never throws.
 *
 * In plain words: add the `async` the compiler asked for, or do nothing.
 *
 * @example
 * ```ts
 * import { repairMissingAsync } from 'rx-recovery/codegen';
 *
 * repairMissingAsync('const load = (id) => {\n  const row = await db.get(id);\n  return row;\n};');
 * // → 'const load = async (id) => {\n  const row = await db.get(id);\n  return row;\n};'
 *
 * repairMissingAsync('function load(id: string): User {\n  return await db.get(id);\n}');
 * // → 'async function load(id: string): Promise<User> {\n  return await db.get(id);\n}'
 *
 * repairMissingAsync('def load(id):\n    return await db.get(id)\n');
 * // → 'async def load(id):\n    return await db.get(id)\n'
 *
 * repairMissingAsync('await main();');
 * // → undefined (a top-level await: no function to make async)
 *
 * repairMissingAsync('items.forEach((item) => {\n  await save(item);\n});');
 * // → undefined (an async callback would not be awaited: a `for…of` loop is the repair)
 * ```
 * @param code The source code that failed to compile.
 * @param options The `language` (detected when absent) and the offending `line`.
 * @returns The repaired code, or `undefined` when there is nothing to repair or any affected
 * `await` cannot be placed with certainty (top level, class body, getter, setter, constructor,
 * `lambda`, an array-method callback, a return type that is a type predicate or an assertion or
 * mixes promises with other types, a generator's return type other than the four above, an
 * overloaded function, an unparseable function head, a type that must be written and cannot be
 * read, unbalanced brackets, unterminated strings…).
 * @see correctErrors
 */
export function repairMissingAsync(
  code: string,
  options?: RepairMissingAsyncOptions,
): string | undefined {
  try {
    if (typeof code !== 'string') return undefined;
    const language = options?.language ?? (looksLikePython(code) ? 'python' : 'javascript');
    const sites = language === 'python' ? pythonAwaits(code) : javascriptAwaits(code);
    return sites && insertAsync(code, sites, options?.line);
  } catch {
    return undefined;
  }
}

function insertAsync(code: string, sites: AwaitSite[], line?: number): string | undefined {
  const insertions = new Map<number, string>();
  for (const [siteLine, fix] of sites) {
    if (line !== undefined && siteLine !== line) continue;
    if (!fix) return undefined;
    for (const [at, text] of fix) {
      if ((insertions.get(at) ?? text) !== text) return undefined;
      insertions.set(at, text);
    }
  }
  let out = '';
  let from = 0;
  for (const [at, text] of [...insertions].sort(([a], [b]) => a - b)) {
    out += code.slice(from, at) + text;
    from = at;
  }
  return insertions.size === 0 ? undefined : out + code.slice(from);
}

/**
 * Python only on clear signs: a `def name(` line, a line ending in `:` (before any `#` comment),
 * and nothing that looks like JavaScript (`function`, `=>`, a line ending in `) {`).
 */
function looksLikePython(code: string): boolean {
  return (
    !/\bfunction\b|=>|\)[^\S\n]*\{[^\S\n]*(?:\n|$)/.test(code) &&
    /(?:^|\n)[ \t]*(?:async[ \t]+)?def[ \t]+[A-Za-z_]\w*[ \t]*\(/.test(code) &&
    /(?:^|\n)[^#\n]*:[^\S\n]*(?:[#\n]|$)/.test(code)
  );
}
