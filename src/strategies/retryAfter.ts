/** Longest header value read: an HTTP-date is 29 characters; anything far longer is not one. */
const MAX_HEADER_VALUE = 64;

/** A non-negative decimal, as `retry-after-ms` and the delta-seconds of `retry-after` are written. */
const DECIMAL = /^\d+(?:\.\d+)?$/;

/** `Sun, 06 Nov 1994 08:49:37 GMT`: the preferred HTTP-date (RFC 9110 §5.6.7). */
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/i;

/** `Sunday, 06-Nov-94 08:49:37 GMT`: the obsolete RFC 850 form, with a two-digit year. */
const RFC850_DATE =
  /^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\d\d)-([A-Za-z]{3})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/i;

/** `Sun Nov  6 08:49:37 1994`: the obsolete asctime form. */
const ASCTIME_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Za-z]{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/i;

const MONTHS = 'janfebmaraprmayjunjulaugsepoctnovdec';

/** Reads `value[key]`; a throwing getter, a revoked proxy or a non-object reads as `undefined`. */
function read(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return undefined;
  }
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * A header of a `Headers`-like object (anything with a `get` method: WHATWG `Headers`,
 * axios's `AxiosHeaders`) or of a plain record, whose keys are compared case-insensitively.
 * Whatever throws reads as `undefined`.
 */
function header(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = read(headers, 'get');
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

/** A usable delay: finite and non-negative (`-0` becomes `0`), else `undefined`. */
function usable(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? Math.max(0, ms) : undefined;
}

/** A header value as a non-negative number of `unit`s (a number, or a decimal string), in ms. */
function decimal(value: unknown, unit: number): number | undefined {
  if (typeof value === 'number') return usable(value * unit);
  if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE) return undefined;
  const text = value.trim();
  return DECIMAL.test(text) ? usable(Number(text) * unit) : undefined;
}

/** The month (0–11) of a three-letter English abbreviation, or -1. */
function month(name: string): number {
  const index = MONTHS.indexOf(name.toLowerCase());
  return index % 3 === 0 ? index / 3 : -1;
}

/**
 * Milliseconds since the epoch of a UTC date and time, or `undefined` when the fields do
 * not name one (`31 Feb`, `25:00:00`). A second of 60 (a leap second) is accepted.
 */
function utc(
  year: number,
  monthIndex: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (monthIndex < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  if (date.getUTCMonth() !== monthIndex) return undefined;
  return date.setUTCHours(hour, minute, second, 0);
}

/**
 * The year of a two-digit RFC 850 year: the one within 50 years of `now`'s year, a date
 * that would lie more than 50 years ahead being read as the past (RFC 9110 §5.6.7).
 */
function fullYear(twoDigits: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  const year = current - (current % 100) + twoDigits;
  if (year > current + 50) return year - 100;
  if (year < current - 50) return year + 100;
  return year;
}

/** The time an HTTP-date names, in ms since the epoch, or `undefined` when it is none. */
function httpDate(text: string, now: number): number | undefined {
  const n = Number;
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) {
    const [, day = '', mon = '', year = '', h = '', min = '', s = ''] = m;
    return utc(n(year), month(mon), n(day), n(h), n(min), n(s));
  }
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    const [, day = '', mon = '', year = '', h = '', min = '', s = ''] = m;
    return utc(fullYear(n(year), now), month(mon), n(day), n(h), n(min), n(s));
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) {
    const [, mon = '', day = '', h = '', min = '', s = '', year = ''] = m;
    return utc(n(year), month(mon), n(day.trim()), n(h), n(min), n(s));
  }
  return undefined;
}

/** A `retry-after` value in ms: delta-seconds (possibly fractional), or an HTTP-date − `now`. */
function retryAfter(value: unknown, now: number): number | undefined {
  const seconds = decimal(value, 1000);
  if (seconds !== undefined) return seconds;
  if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE) return undefined;
  if (!Number.isFinite(now)) return undefined;
  const at = httpDate(value.trim(), now);
  return at === undefined ? undefined : usable(Math.max(0, at - now));
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
  const dictated = read(error, 'retryAfterMs');
  if (typeof dictated === 'number') {
    const ms = usable(dictated);
    if (ms !== undefined) return ms;
  }
  const own = read(error, 'headers');
  const response = read(read(error, 'response'), 'headers');
  const ms =
    decimal(header(own, 'retry-after-ms'), 1) ?? decimal(header(response, 'retry-after-ms'), 1);
  if (ms !== undefined) return ms;
  return (
    retryAfter(header(own, 'retry-after'), now) ?? retryAfter(header(response, 'retry-after'), now)
  );
}
