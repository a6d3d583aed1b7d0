/**
 * How much of an error's `"<name>: <message>"` is read: 8,192 characters. Longer text is
 * cut, so a 1 MB message costs no more to classify than an 8 KB one. The code and status
 * lines come after the cut, so a long message never hides them.
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
const CODE_SHAPE = /^[\w.-]{1,64}$/;

/** `value` when it is an HTTP status as clients put it on their errors: an integer in 100–599. */
const httpStatus = (value: unknown): number | undefined =>
  Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599
    ? (value as number)
    : undefined;

/** `[object Error]` and the like: no user code runs (a Proxy's traps excepted). */
const tag = (value: unknown): string => Object.prototype.toString.call(value);

/** `String(value)`, else its {@link tag} (a `toString` that throws), else a placeholder. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return tag(value);
    } catch {
      return '[object Unknown]'; // a revoked proxy
    }
  }
}

function isErrorLike(value: object): boolean {
  try {
    return value instanceof Error || tag(value) === '[object Error]';
  } catch {
    return false;
  }
}

/*
 * Each property is read at its own site, behind its own guard: a throwing getter or a
 * revoked proxy reads as absent, and each site stays monomorphic for the errors it sees
 * (one shared reader would see every key and every error: several times slower).
 */

/** `"<name>: <message>"` for an Error or any object with a string `message`, else `String(x)`. */
function head(error: object): string {
  let message: unknown;
  let name: unknown;
  try {
    message = (error as { message?: unknown }).message;
  } catch {}
  if (typeof message !== 'string' && !isErrorLike(error)) return safeString(error);
  try {
    name = (error as { name?: unknown }).name;
  } catch {}
  const label = typeof name === 'string' && name !== '' ? name : 'Error';
  // Slice the message before joining so a 1 MB message is never copied whole.
  return typeof message === 'string' && message !== ''
    ? `${label}: ${message.slice(0, MAX_ERROR_TEXT)}`
    : label;
}

/**
 * The first of `error.status`, `error.statusCode` and `error.response.status` that is an
 * HTTP status (fetch wrappers and LLM SDKs, Node's `http` users, axios), or `undefined`.
 * `response` is read only when neither of the first two is a status.
 */
function status(error: object): number | undefined {
  let found: number | undefined;
  try {
    found = httpStatus((error as { status?: unknown }).status);
    if (found !== undefined) return found;
  } catch {}
  try {
    found = httpStatus((error as { statusCode?: unknown }).statusCode);
    if (found !== undefined) return found;
  } catch {}
  try {
    const response: unknown = (error as { response?: unknown }).response;
    if (typeof response === 'object' && response !== null) {
      return httpStatus((response as { status?: unknown }).status);
    }
  } catch {}
  return undefined;
}

/**
 * The text an error is classified by: `"<name>: <message>"` for an Error (or any object
 * with a string `message`), `String(x)` for anything else, at most {@link MAX_ERROR_TEXT}
 * characters; then, on a line of its own, `error.code` when it is a short identifier
 * (`/^[A-Za-z0-9_.-]{1,64}$/`); then, on a line of its own, `HTTP <status>` for the first of
 * `error.status`, `error.statusCode` and `error.response.status` that is an integer in
 * 100–599. Never throws, whatever was thrown: a property behind a throwing getter or a
 * revoked proxy reads as absent, and nothing is walked, so a cyclic object is harmless.
 *
 * In plain words: what every pattern's `match` is tested against, so you can see why a
 * pattern matches or not. Nothing else on the error is read: not `cause` (a fetch that
 * failed reads `TypeError: fetch failed`, whatever its cause), not headers, not the body.
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
 * errorText(Object.assign(new Error('Service Unavailable'), { status: 503 }));
 * // → 'Error: Service Unavailable\nHTTP 503'
 * errorText({ response: { status: 429 } }); // → '[object Object]\nHTTP 429'
 * errorText({ status: 'failed' }); // → '[object Object]'
 * errorText(undefined); // → 'undefined'
 * ```
 * @param error Anything thrown.
 * @returns The text, at most {@link MAX_ERROR_TEXT} characters plus the code and status
 * lines.
 */
export function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) {
    return safeString(error).slice(0, MAX_ERROR_TEXT);
  }
  let text = head(error).slice(0, MAX_ERROR_TEXT);
  let code: unknown;
  try {
    code = (error as { code?: unknown }).code;
  } catch {}
  if (typeof code === 'string' && CODE_SHAPE.test(code)) text += `\n${code}`;
  const found = status(error);
  return found === undefined ? text : `${text}\nHTTP ${found}`;
}
