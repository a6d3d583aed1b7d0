import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError } from '../../src/files/jsonSyntaxError.js';

/** Line and column of offset `at`, counted as the reader counts them. */
function lineColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

describe('jsonSyntaxError', () => {
  it.each([
    ['[1,]', 1, 4, "Unexpected token ']'"],
    ['[NaN]', 1, 2, "Unexpected token 'N'"],
    ['{\n  "a": 1,\n}', 3, 1, 'Expected double-quoted property name'],
    ['{"a" 1}', 1, 6, "Expected ':' after property name"],
    ['{"a": 1 "b": 2}', 1, 9, "Expected ',' or '}' after property value"],
    ['[1 2]', 1, 4, "Expected ',' or ']' after array element"],
    ['{,}', 1, 2, "Expected property name or '}'"],
    ['"ab\\qc"', 1, 5, 'Bad escaped character'],
    ['"a\\u12x4"', 1, 7, 'Bad Unicode escape'],
    ['"a\tb"', 1, 3, 'Bad control character in string literal'],
    ['["abc', 1, 6, 'Unterminated string'],
    ['-x', 1, 2, 'No number after minus sign'],
    ['1.', 1, 3, 'Unterminated fractional number'],
    ['1e+', 1, 4, 'Exponent part is missing a number'],
    ['[01]', 1, 3, 'Unexpected number'],
    ['[1] ]', 1, 5, 'Unexpected non-whitespace character after JSON'],
    ['{"patterns": [', 1, 15, 'Unexpected end of JSON input'],
    ['tru', 1, 4, 'Unexpected end of JSON input'],
    ['', 1, 1, 'Unexpected end of JSON input'],
    ['\u200b[1]', 1, 1, "Unexpected token '\\u200B'"],
  ])('%j: line %i, column %i: %s', (text, line, column, reason) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(jsonSyntaxError(text)).toEqual({ line, column, reason });
  });

  it('finds nothing in what JSON.parse accepts', () => {
    for (const text of [
      '{}',
      '[]',
      ' {"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"]} ',
      '0',
    ]) {
      expect(jsonSyntaxError(text)).toBeUndefined();
    }
  });

  // Differential: JSON text with one character deleted, doubled or inserted is judged as
  // JSON.parse judges it, and where V8 names a position, the reader names the same one.
  const broken = fc
    .record({
      json: fc.json({ maxDepth: 3 }),
      at: fc.nat(),
      edit: fc.constantFrom('delete', 'double', 'insert'),
      inserted: fc.constantFrom(...',:[]{}"\\ntfe-.0 \t\u0001'.split(''), 'NaN', '\u00a0'),
    })
    .map(({ json, at, edit, inserted }) => {
      const k = json.length === 0 ? 0 : at % json.length;
      if (edit === 'delete') return json.slice(0, k) + json.slice(k + 1);
      if (edit === 'double') return json.slice(0, k + 1) + json.slice(k);
      return json.slice(0, k) + inserted + json.slice(k);
    });

  it('agrees with JSON.parse on what is JSON, and with V8 on where it is not', () => {
    fc.assert(
      fc.property(fc.oneof(broken, fc.json()), (text) => {
        let message: string | undefined;
        try {
          JSON.parse(text);
        } catch (error) {
          message = (error as Error).message;
        }
        const found = jsonSyntaxError(text);
        expect(found === undefined, `${JSON.stringify(text)}: ${message}`).toBe(
          message === undefined,
        );
        const position = / at position (\d+)/.exec(message ?? '');
        if (position !== null && found !== undefined) {
          const { line, column } = found;
          expect({ line, column }, text).toEqual(lineColumn(text, Number(position[1])));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
