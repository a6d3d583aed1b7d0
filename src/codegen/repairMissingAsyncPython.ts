/**
 * The Python half of `repairMissingAsync`: logical lines, their indentation, and the innermost
 * `def` around each `await`.
 *
 * @module
 */
import { type AwaitSite, type Insertion, lineCounter } from './repairMissingAsyncText.js';

/** A logical line's indentation, and what makes an `await` in it (or in its block) async. */
type PyLine = [indent: string, fix: Insertion[] | undefined];

/** Every `await` in Python code, or `undefined` when the code cannot be read with certainty. */
export function pythonAwaits(code: string): AwaitSite[] | undefined {
  const sites: AwaitSite[] = [];
  const lineAt = lineCounter(code);
  /** The logical line being read and the blocks around it, innermost last. */
  const blocks: PyLine[] = [];
  // Groups: 1 a string, 2 its quote, 3 an unterminated string, 4 a word, 5 an opener,
  // 6 a closer. Skipped whole: a line continuation, a comment.
  const token =
    /\\(?:\r\n|[\s\S])?|#[^\n]*|((["'])(?:\2\2(?:\\[\s\S]|[^\\])*?\2\2\2|(?!\2\2)(?:\\[\s\S]|(?!\2)[^\\\n])*\2))|(["'])|([\w$\x80-\uffff]+)|([([{])|([)\]}])|[\s\S]/y;
  const header = /([ \t]*)(?:(async[ \t]+)?(def|class)\b)?/y;
  let depth = 0;
  let afterLambda = false;
  let lineStart = true;
  for (let at = 0; at < code.length; at = token.lastIndex) {
    if (lineStart) {
      lineStart = false;
      header.lastIndex = at;
      const [, indent = '', isAsync, keyword] = header.exec(code) ?? [];
      const first = at + indent.length;
      token.lastIndex = first;
      if (/^[\r\n#]?$/.test(code.charAt(first))) continue;
      // The enclosing block is the nearest earlier line that is less indented; when its
      // indentation is not a prefix of this one, tabs and spaces are mixed: nothing is certain.
      while (indent.length <= (blocks.at(-1)?.[0].length ?? -1)) blocks.pop();
      const [outerIndent = '', outerFix] = blocks.at(-1) ?? [];
      let fix = blocks.length > 0 && indent.startsWith(outerIndent) ? outerFix : undefined;
      // A `def` takes `async `, an `async def` nothing, a `class` body cannot be made async.
      if (keyword) fix = keyword === 'class' ? undefined : isAsync ? [] : [[first, 'async ']];
      blocks.push([indent, fix]);
      afterLambda = false;
      continue;
    }
    const [t, , , unterminated, word, opener, closer] = token.exec(code) ?? [''];
    if (unterminated) return undefined;
    if (t === '\n') lineStart = depth === 0;
    if (word === 'await') sites.push([lineAt(at), afterLambda ? undefined : blocks.at(-1)?.[1]]);
    if (word === 'lambda') afterLambda = true;
    if (opener) depth++;
    if (closer && --depth < 0) return undefined;
  }
  return depth === 0 ? sites : undefined;
}
