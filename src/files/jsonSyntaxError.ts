/**
 * Where JSON text stops being JSON, found by reading it to the failing token. V8's own message
 * gives no position for several mistakes (a trailing comma, `NaN`: "Unexpected token ']', …")
 * and quotes the file instead; the words here are V8's, the position is always given, and no
 * more of the text than the one unexpected character is shown.
 *
 * @module
 */

/** A JSON syntax error: 1-based line and column (UTF-16 units, as editors count), and why. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  reason: string;
}

/** Thrown inside the reader to stop at the first error. */
class Stop {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {}
}

const DIGIT = /[0-9]/;
const HEX = /[0-9a-fA-F]/;

/**
 * The first syntax error of JSON `text`, or `undefined` when the reader finds none (`JSON.parse`
 * accepts the text, or it is nested too deep to read here).
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let at = 0;
  const stop = (reason: string): never => {
    throw new Stop(at, reason);
  };
  const char = (): string => text.charAt(at);
  /** Where a value, or the rest of `true`, `false` or `null`, was expected. */
  const unexpected = (): never =>
    stop(
      at >= text.length
        ? 'Unexpected end of JSON input'
        : char() === '"'
          ? 'Unexpected string'
          : char() === '-' || DIGIT.test(char())
            ? 'Unexpected number'
            : `Unexpected token ${shown(text, at)}`,
    );
  const space = (): void => {
    while (' \t\n\r'.includes(char()) && at < text.length) at++;
  };
  const digits = (reason: string): void => {
    if (!DIGIT.test(char())) stop(reason);
    while (DIGIT.test(char())) at++;
  };

  const string = (): void => {
    at++;
    for (;;) {
      const c = char();
      if (at >= text.length) stop('Unterminated string');
      if (c === '"') break;
      if (c < ' ') stop('Bad control character in string literal');
      if (c === '\\') {
        at++;
        if (char() === 'u') {
          for (let k = 0; k < 4; k++) {
            at++;
            if (!HEX.test(char())) stop('Bad Unicode escape');
          }
        } else if (at >= text.length) unexpected();
        else if (!'"\\/bfnrt'.includes(char())) stop('Bad escaped character');
      }
      at++;
    }
    at++;
  };

  const number = (): void => {
    if (char() === '-') at++;
    if (char() === '0') {
      at++;
      if (DIGIT.test(char())) stop('Unexpected number');
    } else digits('No number after minus sign');
    if (char() === '.') {
      at++;
      digits('Unterminated fractional number');
    }
    if (char() === 'e' || char() === 'E') {
      at++;
      if (char() === '+' || char() === '-') at++;
      digits('Exponent part is missing a number');
    }
  };

  /** A value, after any whitespace before it. */
  const value = (): void => {
    space();
    const c = char();
    if (c === '{') {
      at++;
      space();
      if (char() === '}') {
        at++;
        return;
      }
      let expected = "Expected property name or '}'";
      for (;;) {
        space();
        if (char() !== '"') stop(expected);
        string();
        space();
        if (char() !== ':') stop("Expected ':' after property name");
        at++;
        value();
        space();
        if (char() === '}') break;
        if (char() !== ',') stop("Expected ',' or '}' after property value");
        at++;
        expected = 'Expected double-quoted property name';
      }
      at++;
    } else if (c === '[') {
      at++;
      space();
      if (char() === ']') {
        at++;
        return;
      }
      for (;;) {
        value();
        space();
        if (char() === ']') break;
        if (char() !== ',') stop("Expected ',' or ']' after array element");
        at++;
      }
      at++;
    } else if (c === '"') string();
    else if (c === '-' || DIGIT.test(c)) number();
    else {
      const word = ['true', 'false', 'null'].find((w) => w[0] === c);
      if (word === undefined) unexpected();
      for (const letter of word ?? '') {
        if (char() !== letter) unexpected();
        at++;
      }
    }
  };

  try {
    value();
    space();
    if (at < text.length) stop('Unexpected non-whitespace character after JSON');
    return undefined;
  } catch (error) {
    // Anything but a Stop (a RangeError: nested too deep) leaves the error unlocated.
    if (!(error instanceof Stop)) return undefined;
    const before = text.slice(0, error.at).split('\n');
    return {
      line: before.length,
      column: (before.at(-1)?.length ?? 0) + 1,
      reason: error.reason,
    };
  }
}

/** The character at `at` in quotes, escaped when it would not show (a control, a BOM). */
function shown(text: string, at: number): string {
  const c = String.fromCodePoint(text.codePointAt(at) ?? 0);
  const visible = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
  const escaped = `\\u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${visible ? c : escaped}'`;
}
