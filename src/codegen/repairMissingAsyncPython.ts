/**
 * The Python half of `repairMissingAsync`: logical lines, their indentation, and the innermost
 * `def` around each `await`.
 *
 * @module
 */
import {
  type AwaitSite,
  countNewlines,
  type Insertion,
  lineEnd,
  quotedEnd,
  WORD_CHAR,
  wordEnd,
} from './repairMissingAsyncText.js';

interface PyLine {
  indent: string;
  kind: 'def' | 'async' | 'class' | 'other';
  start: number;
  /** Index of the enclosing logical line; -1 at top level, -2 when indentation is inconsistent. */
  parent: number;
}

interface PyAwait {
  line: number;
  logical: number;
  afterLambda: boolean;
}

/** Every `await` in Python code, or `undefined` when the code cannot be read with certainty. */
export function pythonAwaits(code: string): AwaitSite[] | undefined {
  const scan = scanPython(code);
  if (!scan) return undefined;
  linkParents(scan.lines);
  return scan.awaits.map(({ line, logical, afterLambda }) => ({
    line,
    fix: afterLambda ? undefined : enclosingDef(scan.lines, logical),
  }));
}

/** `async ` before the innermost `def` (a return annotation `-> T` stays right as it is). */
function enclosingDef(lines: PyLine[], from: number): Insertion[] | undefined {
  for (let line = lines[from]; line; line = lines[line.parent]) {
    if (line.kind === 'class') return undefined;
    if (line.kind === 'async') return [];
    if (line.kind === 'def') return [{ at: line.start, text: 'async ' }];
  }
  return undefined;
}

/** The enclosing block of a logical line is the nearest earlier one that is less indented. */
function linkParents(lines: PyLine[]): void {
  const open: number[] = [];
  lines.forEach((line, index) => {
    while (line.indent.length <= (lines[open.at(-1) ?? -1]?.indent.length ?? -1)) open.pop();
    const parent = lines[open.at(-1) ?? -1];
    if (parent) line.parent = line.indent.startsWith(parent.indent) ? (open.at(-1) ?? -1) : -2;
    open.push(index);
  });
}

function headerKind(code: string, at: number): PyLine['kind'] {
  const header = /(?:(async)[ \t]+)?(def|class)\b/y;
  header.lastIndex = at;
  const match = header.exec(code);
  if (!match) return 'other';
  if (match[2] === 'class') return 'class';
  return match[1] ? 'async' : 'def';
}

/** End (exclusive) of a Python string literal starting at `from`, or -1. */
function pythonStringEnd(code: string, from: number): number {
  const quote = code.charAt(from);
  const triple = quote.repeat(3);
  if (!code.startsWith(triple, from)) return quotedEnd(code, from, quote);
  for (let i = from + 3; i < code.length; i++) {
    if (code.charAt(i) === '\\') i++;
    else if (code.startsWith(triple, i)) return i + 3;
  }
  return -1;
}

function scanPython(code: string): { lines: PyLine[]; awaits: PyAwait[] } | undefined {
  const lines: PyLine[] = [];
  const awaits: PyAwait[] = [];
  let depth = 0;
  let line = 1;
  let atLineStart = true;
  let afterLambda = false;
  let i = 0;
  while (i < code.length) {
    const c = code.charAt(i);
    if (atLineStart) {
      atLineStart = false;
      let indentEnd = i;
      while (code.charAt(indentEnd) === ' ' || code.charAt(indentEnd) === '\t') indentEnd++;
      if (!['', '\r', '\n', '#'].includes(code.charAt(indentEnd))) {
        const indent = code.slice(i, indentEnd);
        lines.push({ indent, kind: headerKind(code, indentEnd), start: indentEnd, parent: -1 });
        afterLambda = false;
      }
      i = indentEnd;
    } else if (c === '\n') {
      line++;
      i++;
      atLineStart = depth === 0;
    } else if (c === '\\') {
      const next = code.startsWith('\r\n', i + 1) ? i + 2 : i + 1;
      if (code.charAt(next) === '\n') line++;
      i = next + 1;
    } else if (c === '#') {
      i = lineEnd(code, i);
    } else if (c === '"' || c === "'") {
      const end = pythonStringEnd(code, i);
      if (end < 0) return undefined;
      line += countNewlines(code, i, end);
      i = end;
    } else if (WORD_CHAR.test(c)) {
      const end = wordEnd(code, i);
      const word = code.slice(i, end);
      if (word === 'await') awaits.push({ line, logical: lines.length - 1, afterLambda });
      if (word === 'lambda') afterLambda = true;
      i = end;
    } else {
      if ('([{'.includes(c)) depth++;
      if (')]}'.includes(c) && --depth < 0) return undefined;
      i++;
    }
  }
  return depth === 0 ? { lines, awaits } : undefined;
}
