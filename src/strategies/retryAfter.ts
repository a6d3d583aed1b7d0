/** A non-negative decimal, as `retry-after-ms` and the delta-seconds of `retry-after` are written. */
const DECIMAL = /^\d+(?:\.\d+)?$/;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';

/**
 * The three HTTP-date forms of RFC 9110 §5.6.7, each capturing its day, month, year, hour,
 * minute and second in that order: the preferred IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 form with a two-digit year
 * (`Sunday, 06-Nov-94 08:49:37 GMT`), which share their time, then the obsolete asctime
 * form (`Sun Nov  6 08:49:37 1994`), whose day and year are captured by lookaheads, ahead
 * of its month and its time.
 */
const HTTP_DATE = /* @__PURE__ */ new RegExp(
  `^(?:(?:${DAY}, (\\d\\d) ([a-z]{3}) (\\d{4})` +
    `|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d\\d)-([a-z]{3})-(\\d\\d)) ${TIME} GMT` +
    `|${DAY} (?=[a-z]{3} ([ \\d]\\d) )([a-z]{3}) [ \\d]\\d (?=\\S{8} (\\d{4}))${TIME} \\d{4})$`,
  'i',
);

const MONTHS = 'janfebmaraprmayjunjulaugsepoctnovdec';

/** The whole match, then the day, month, year, hour, minute and second, as written. */
type DateFields = [string, string, string, string, string, string, string];

/**
 * A header of a `Headers`-like object (anything with a `get` method: WHATWG `Headers`,
 * axios's `AxiosHeaders`) or of a plain record, whose keys are compared case-insensitively.
 * Whatever throws reads as `undefined`.
 */
function header(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  let get: unknown;
  try {
    get = (headers as { get?: unknown }).get;
  } catch {}
  try {
    if (typeof get === 'function') return get.call(headers, name);
    for (const key of Object.keys(headers)) {
      if (key.length === name.length && key.toLowerCase() === name) {
        return (headers as Record<string, unknown>)[key];
      }
    }
  } catch {
    // a throwing `get`, getter or `ownKeys` trap: no header
  }
  return undefined;
}

/**
 * A usable delay: a finite number ≥ 0 (`-0` becomes `0`), else `undefined`, whatever
 * `value` is.
 */
const usable = (value: unknown): number | undefined =>
  Number.isFinite(value) && (value as number) >= 0 ? Math.max(0, value as number) : undefined;

/**
 * A header value that may be read as text: a string of a sane length (64 characters; an
 * HTTP-date has 29, anything far longer is not one), trimmed; else `''`.
 */
const text = (value: unknown): string =>
  typeof value === 'string' && value.length <= 64 ? value.trim() : '';

/** A header value as a non-negative number of `unit`s (a number, or a decimal string), in ms. */
function decimal(value: unknown, unit: number): number | undefined {
  const written = text(value);
  return usable(
    (typeof value === 'number' ? value : DECIMAL.test(written) ? Number(written) : NaN) * unit,
  );
}

/**
 * The delay until the HTTP-date `value` names, from `at.now` (read only for a date: a retry
 * loop nobody watches then reads no clock); 0 for a date already past. `undefined` when
 * `value` names no date (`31 Feb`, `25:00:00`; a second of 60, a leap second, is accepted)
 * or `now` is not finite. A two-digit RFC 850 year is the one within 50 years of `now`'s
 * year, a date that would lie more than 50 years ahead being read as the past.
 */
function httpDate(value: unknown, at: { readonly now: number }): number | undefined {
  const found = HTTP_DATE.exec(text(value));
  if (found === null) return undefined;
  const { now } = at;
  if (!Number.isFinite(now)) return undefined;
  // The six groups of the alternative that matched, after the whole match.
  const [, day, name, digits, ...time] = found.filter((group) => group !== undefined) as DateFields;
  const [hour, minute, second] = time.map(Number) as [number, number, number];
  // Not a multiple of 3 for a slice of MONTHS that is no month (`anf`): no such month.
  const month = MONTHS.indexOf(name.toLowerCase()) / 3;
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999. A day past
  // the month's end (or 0) moves to another month, and so does no month at all: the month
  // read back tells.
  const date = new Date(0);
  const stamp = (year: number) =>
    date.setUTCFullYear(year, month, Number(day)) + // Number(' 6') is 6: asctime pads the day
    ((hour * 60 + minute) * 60 + second) * 1000;
  let year = Number(digits);
  if (digits.length === 2) {
    // The moment, not the year, is compared with now ± 50 years (RFC 9110 §5.6.7).
    const current = new Date(now).getUTCFullYear();
    const yearsFromNow = (years: number) => new Date(now).setUTCFullYear(current + years);
    year += current - (current % 100);
    if (stamp(year) > yearsFromNow(50)) year -= 100;
    else if (stamp(year) < yearsFromNow(-50)) year += 100;
  }
  const moment = stamp(year);
  return date.getUTCMonth() !== month || hour > 23 || minute > 59 || second > 60
    ? undefined
    : Math.max(0, moment - now);
}

/** A `retry-after` value in ms: delta-seconds (possibly fractional), or an HTTP-date − `now`. */
const retryAfter = (value: unknown, at: { readonly now: number }): number | undefined =>
  decimal(value, 1000) ?? httpDate(value, at);

/**
 * {@link retryAfterDelay}, with the scheduler's time read from `at.now` only when an
 * HTTP-date needs it: what a `retry` step with the default `delayFromError` calls.
 */
export function dictatedDelay(error: unknown, at: { readonly now: number }): number | undefined {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) {
    return undefined;
  }
  // Each property is read at its own site, behind its own guard: a throwing getter or a
  // revoked proxy reads as absent (one shared reader would see every key: several times
  // slower, on the path of every failed attempt).
  let ms: number | undefined;
  let own: unknown;
  let response: unknown;
  try {
    ms = usable((error as { retryAfterMs?: unknown }).retryAfterMs);
    if (ms !== undefined) return ms;
  } catch {}
  try {
    own = (error as { headers?: unknown }).headers;
  } catch {}
  try {
    const wrapper: unknown = (error as { response?: unknown }).response;
    if ((typeof wrapper === 'object' || typeof wrapper === 'function') && wrapper !== null) {
      response = (wrapper as { headers?: unknown }).headers;
    }
  } catch {}
  if (own === undefined && response === undefined) return undefined;
  return (
    decimal(header(own, 'retry-after-ms'), 1) ??
    decimal(header(response, 'retry-after-ms'), 1) ??
    retryAfter(header(own, 'retry-after'), at) ??
    retryAfter(header(response, 'retry-after'), at)
  );
}

/**
 * The delay an error dictates before the next retry, read from the error itself: its
 * `retryAfterMs`, else its `retry-after-ms` header, else its `retry-after` header; or
 * `undefined` when it dictates none, and the backoff applies. Never throws.
 *
 * In plain words: "the server told us when to come back". The default `delayFromError` of
 * `retry` steps, so a 429 or a 503 with `Retry-After: 7` is retried after 7 s, not after
 * the backoff. Pure: no state, no clock but the `now` it is given.
 *
 * What is read, in order; the first usable value wins:
 * 1. `error.retryAfterMs`: a finite number ≥ 0 (a `BrokenCircuitError` has one).
 * 2. The `retry-after-ms` header: milliseconds, a non-negative decimal (not standard; the
 *    OpenAI and Anthropic SDKs read it before `retry-after`, as this does).
 * 3. The `retry-after` header: delta-seconds, possibly fractional (`7`, `1.5`), or an
 *    HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, and RFC 9110's two obsolete forms),
 *    which gives `date − now`, and 0 for a date already past.
 *
 * Each header is looked for on `error.headers`, then on `error.response.headers` (where
 * fetch wrappers and axios keep them), so a `retry-after-ms` on either comes before a
 * `retry-after` on either. Headers are a `Headers`-like object (anything with a `get`
 * method) or a plain record, whose keys are compared case-insensitively (a string or a
 * number value). A value that is not usable — negative, `NaN`, garbage, a date that does
 * not exist — is skipped and the next source is read. A throwing getter, a revoked proxy,
 * a `get` that throws or a cyclic object reads as "nothing there".
 *
 * The result is not capped: a `retry` step clamps it to `[0, maxDictatedDelayMs]`.
 *
 * @example
 * ```ts
 * import { retryAfterDelay, withRecovery } from 'rx-recovery';
 *
 * const rateLimited = Object.assign(new Error('429 Too Many Requests'), {
 *   headers: new Headers({ 'retry-after': '7' }),
 * });
 * retryAfterDelay(rateLimited, 1, 0); // → 7000
 * retryAfterDelay({ response: { headers: { 'Retry-After-Ms': '250' } } }, 1, 0); // → 250
 * retryAfterDelay({ retryAfterMs: 1500, headers: { 'retry-after': '7' } }, 1, 0); // → 1500
 * // An HTTP-date counts from `now`, the scheduler's time; a date already past gives 0.
 * const date = { headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:10 GMT' } };
 * retryAfterDelay(date, 1, 4000); // → 6000
 * retryAfterDelay(date, 1, 60_000); // → 0
 * retryAfterDelay(new Error('boom'), 1, 0); // → undefined: the backoff applies
 * retryAfterDelay({ headers: { 'retry-after': 'soon' } }, 1, 0); // → undefined
 *
 * // It is the default already. To honour what 429s dictate, and nothing else:
 * const retry = {
 *   delayFromError: (error: unknown, attempt: number, now: number) =>
 *     (error as { status?: unknown }).status === 429
 *       ? retryAfterDelay(error, attempt, now)
 *       : undefined,
 * };
 * request$.pipe(withRecovery(undefined, { retry }));
 * ```
 * @param error Anything thrown.
 * @param _attempt The retry's number, from 1. Not read: the dictated delay is the same for
 * every attempt. Present so the function is a `delayFromError`.
 * @param now The scheduler's time in ms (`scheduler.now()`), against which an HTTP-date
 * is measured. When it is not a finite number, an HTTP-date reads as "no delay dictated".
 * @returns The dictated delay in ms, a finite number ≥ 0, or `undefined` when the error
 * dictates none.
 * @see RetryOptions.delayFromError for how a `retry` step uses it.
 */
export function retryAfterDelay(error: unknown, _attempt: number, now: number): number | undefined {
  return dictatedDelay(error, { now });
}
