/**
 * How much of an error's `"<name>: <message>"` is read: 8,192 characters. Longer text is
 * cut, so a 1 MB message costs no more to classify than an 8 KB one.
 *
 * @example
 * ```ts
 * import { errorText, MAX_ERROR_TEXT } from 'rx-recovery';
 *
 * MAX_ERROR_TEXT; // → 8192
 * errorText(new Error('x'.repeat(20_000))).length; // → 8192
 * ```
 */
export const MAX_ERROR_TEXT = 8192;

/** `error.code` is appended only when it looks like an identifier (`ETIMEDOUT`). */
const CODE_SHAPE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Reads a property without letting a throwing getter or a revoked proxy escape. */
function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isErrorLike(value: object): boolean {
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

function safeString(value: unknown): string {
  try {
    const text = String(value);
    return typeof text === 'string' ? text : '';
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[object Unknown]';
    }
  }
}

function head(value: unknown, error: object): string {
  const message = readProperty(error, 'message');
  if (typeof message === 'string' || isErrorLike(error)) {
    const name = readProperty(error, 'name');
    const label = typeof name === 'string' && name !== '' ? name : 'Error';
    const text = typeof message === 'string' ? message : '';
    // Slice the message before joining so a 1 MB message is never copied whole.
    return text === '' ? label : `${label}: ${text.slice(0, MAX_ERROR_TEXT)}`;
  }
  return safeString(value);
}

/**
 * The text an error is classified by: `"<name>: <message>"` for an Error (or any object
 * with a string `message`), `String(x)` for anything else, at most {@link MAX_ERROR_TEXT}
 * characters; then, on a line of its own, `error.code` when it is a short identifier.
 * Never throws, whatever was thrown.
 *
 * In plain words: what every pattern's `match` is tested against, so you can see why a
 * pattern matches or not. Nothing else on the error is read.
 *
 * @example
 * ```ts
 * import { errorText } from 'rx-recovery';
 *
 * errorText(new TypeError("Cannot read properties of undefined (reading 'id')"));
 * // → "TypeError: Cannot read properties of undefined (reading 'id')"
 * errorText(Object.assign(new Error('connect failed'), { code: 'ETIMEDOUT' }));
 * // → 'Error: connect failed\nETIMEDOUT'
 * errorText('quorum not reached'); // → 'quorum not reached'
 * errorText({ status: 503 }); // → '[object Object]'
 * errorText(undefined); // → 'undefined'
 * ```
 * @param error Anything thrown.
 * @returns The text, at most {@link MAX_ERROR_TEXT} characters plus the code line.
 */
export function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) {
    return safeString(error).slice(0, MAX_ERROR_TEXT);
  }
  const text = head(error, error).slice(0, MAX_ERROR_TEXT);
  const code = readProperty(error, 'code');
  return typeof code === 'string' && CODE_SHAPE.test(code) ? `${text}\n${code}` : text;
}
