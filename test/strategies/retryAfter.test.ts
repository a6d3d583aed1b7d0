import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { retryAfterDelay } from '../../src/strategies/retryAfter.js';

/** The delay `error` dictates at scheduler time `now` (attempt 1). */
const delay = (error: unknown, now = 0) => retryAfterDelay(error, 1, now);

/** An object whose every property read throws. */
const throwing = new Proxy(
  {},
  {
    get() {
      throw new Error('get trap');
    },
    has() {
      throw new Error('has trap');
    },
    ownKeys() {
      throw new Error('ownKeys trap');
    },
    getOwnPropertyDescriptor() {
      throw new Error('descriptor trap');
    },
    getPrototypeOf() {
      throw new Error('prototype trap');
    },
  },
);

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('retryAfterDelay: sources', () => {
  it('reads error.retryAfterMs first', () => {
    expect(delay({ retryAfterMs: 1500 })).toBe(1500);
    expect(delay({ retryAfterMs: 0 })).toBe(0);
    expect(
      delay({ retryAfterMs: 1500, headers: { 'retry-after-ms': '10', 'retry-after': '7' } }),
    ).toBe(1500);
  });

  it('skips an unusable retryAfterMs and reads the headers', () => {
    for (const retryAfterMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1500', null, 10n]) {
      expect(delay({ retryAfterMs, headers: { 'retry-after': '7' } }), String(retryAfterMs)).toBe(
        7000,
      );
      expect(delay({ retryAfterMs }), String(retryAfterMs)).toBeUndefined();
    }
  });

  it('reads retry-after-ms as milliseconds, before retry-after', () => {
    expect(delay({ headers: new Headers({ 'retry-after-ms': '250' }) })).toBe(250);
    expect(delay({ headers: new Headers({ 'retry-after-ms': '250.5' }) })).toBe(250.5);
    expect(delay({ headers: new Headers({ 'retry-after-ms': '250', 'retry-after': '7' }) })).toBe(
      250,
    );
    // an unusable retry-after-ms gives way to retry-after
    expect(delay({ headers: new Headers({ 'retry-after-ms': 'soon', 'retry-after': '7' }) })).toBe(
      7000,
    );
  });

  it('reads retry-after as delta-seconds, possibly fractional', () => {
    expect(delay({ headers: new Headers({ 'retry-after': '7' }) })).toBe(7000);
    expect(delay({ headers: new Headers({ 'retry-after': '1.5' }) })).toBe(1500);
    expect(delay({ headers: new Headers({ 'retry-after': '0' }) })).toBe(0);
    expect(delay({ headers: { 'retry-after': ' 7 ' } })).toBe(7000);
    expect(delay({ headers: { 'retry-after': '120' } })).toBe(120_000);
  });

  it('reads a Headers object, a plain record with keys in any case, and number values', () => {
    expect(delay({ headers: new Headers({ 'Retry-After': '7' }) })).toBe(7000);
    expect(delay({ headers: { 'Retry-After': '7' } })).toBe(7000);
    expect(delay({ headers: { 'RETRY-AFTER-MS': '300' } })).toBe(300);
    expect(delay({ headers: { 'retry-after': 7 } })).toBe(7000);
    expect(delay({ headers: { 'retry-after-ms': 300 } })).toBe(300);
    expect(delay({ headers: new Map([['retry-after', '7']]) })).toBe(7000);
  });

  it('reads error.response.headers, where fetch wrappers and axios keep them', () => {
    expect(delay({ response: { headers: new Headers({ 'retry-after': '7' }) } })).toBe(7000);
    expect(delay({ response: { headers: { 'Retry-After-Ms': '250' } } })).toBe(250);
    expect(delay({ response: new Response(null, { headers: { 'retry-after': '3' } }) })).toBe(3000);
    // error.headers is read first for the same header…
    expect(
      delay({ headers: { 'retry-after': '2' }, response: { headers: { 'retry-after': '9' } } }),
    ).toBe(2000);
    // …but retry-after-ms anywhere comes before retry-after anywhere
    expect(
      delay({ headers: { 'retry-after': '2' }, response: { headers: { 'retry-after-ms': '90' } } }),
    ).toBe(90);
    // an unusable value on error.headers gives way to error.response.headers
    expect(
      delay({ headers: { 'retry-after': 'soon' }, response: { headers: { 'retry-after': '9' } } }),
    ).toBe(9000);
  });

  it('reads the headers of the errors the OpenAI and Anthropic SDKs throw', () => {
    const openai = OpenAI.APIError.generate(
      429,
      { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
      undefined,
      new Headers({ 'retry-after': '7', 'x-request-id': 'req_1' }),
    );
    expect(openai).toBeInstanceOf(OpenAI.RateLimitError);
    expect(delay(openai)).toBe(7000);
    const anthropic = Anthropic.APIError.generate(
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers({ 'retry-after-ms': '1200', 'retry-after': '2', 'request-id': 'req_011' }),
    );
    expect(anthropic.status).toBe(529);
    expect(delay(anthropic)).toBe(1200);
  });

  it('gives undefined when nothing is dictated: the backoff applies', () => {
    expect(delay(new Error('boom'))).toBeUndefined();
    expect(delay({ headers: new Headers() })).toBeUndefined();
    expect(delay({ headers: {}, response: {} })).toBeUndefined();
    expect(delay({ response: { headers: null } })).toBeUndefined();
    expect(delay({ headers: 'retry-after: 7' })).toBeUndefined();
    for (const value of [undefined, null, 0, 7, 'retry-after: 7', true, Symbol('x'), 10n]) {
      expect(delay(value), String(value)).toBeUndefined();
    }
  });
});

describe('retryAfterDelay: HTTP-dates', () => {
  const at7s = 'Thu, 01 Jan 1970 00:00:07 GMT';

  it('measures an HTTP-date from now, the scheduler time it is given', () => {
    expect(delay({ headers: { 'retry-after': at7s } }, 0)).toBe(7000);
    expect(delay({ headers: { 'retry-after': at7s } }, 1)).toBe(6999);
    expect(delay({ headers: new Headers({ 'retry-after': at7s }) }, 2500)).toBe(4500);
    const date = Date.UTC(2026, 2, 1, 12, 0, 30);
    const header = new Date(date).toUTCString(); // 'Sun, 01 Mar 2026 12:00:30 GMT'
    expect(delay({ headers: { 'retry-after': header } }, date - 30_000)).toBe(30_000);
  });

  it('gives 0 for a date already past (or now)', () => {
    expect(delay({ headers: { 'retry-after': at7s } }, 7000)).toBe(0);
    expect(delay({ headers: { 'retry-after': at7s } }, 60_000)).toBe(0);
    expect(delay({ headers: { 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' } }, 1.8e12)).toBe(0);
  });

  it("accepts RFC 9110's obsolete forms: RFC 850 and asctime", () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 30);
    expect(delay({ headers: { 'retry-after': 'Sunday, 06-Nov-94 08:49:37 GMT' } }, now)).toBe(7000);
    expect(delay({ headers: { 'retry-after': 'Sun Nov  6 08:49:37 1994' } }, now)).toBe(7000);
    expect(delay({ headers: { 'retry-after': 'Sun Nov 06 08:49:37 1994' } }, now)).toBe(7000);
    // A two-digit year more than 50 years ahead is read as the past.
    const in2030 = Date.UTC(2030, 0, 1);
    expect(delay({ headers: { 'retry-after': 'Thursday, 01-Jan-31 00:00:05 GMT' } }, in2030)).toBe(
      Date.UTC(2031, 0, 1, 0, 0, 5) - in2030,
    );
    expect(delay({ headers: { 'retry-after': 'Sunday, 01-Jan-99 00:00:00 GMT' } }, in2030)).toBe(0);
    // The moment, not the year: 2076-12-31 is 50 years and 7 months after 2026-06-01, so
    // '76' is 1976 (a date past), though 2076 − 2026 is only 50.
    const june2026 = Date.UTC(2026, 5, 1);
    expect(
      delay({ headers: { 'retry-after': 'Thursday, 31-Dec-76 23:59:59 GMT' } }, june2026),
    ).toBe(0);
    // And within 50 years ahead it stays ahead: 2076-01-01 from 2026-06-01.
    expect(
      delay({ headers: { 'retry-after': 'Wednesday, 01-Jan-76 00:00:00 GMT' } }, june2026),
    ).toBe(Date.UTC(2076, 0, 1) - june2026);
  });

  it('reads a year below 100 as written, not as 19xx', () => {
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 0, 1);
    year50.setUTCHours(0, 0, 10, 0);
    expect(
      delay(
        { headers: { 'retry-after': 'Sat, 01 Jan 0050 00:00:10 GMT' } },
        year50.getTime() - 10_000,
      ),
    ).toBe(10_000);
  });

  it('accepts a leap second, any letter case, and the 29th of February of a leap year only', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 30);
    expect(delay({ headers: { 'retry-after': 'Sun, 06 Nov 1994 08:49:60 GMT' } }, now)).toBe(
      30_000,
    );
    expect(delay({ headers: { 'retry-after': 'SUN, 06 NOV 1994 08:49:37 gmt' } }, now)).toBe(7000);
    expect(delay({ headers: { 'retry-after': 'sunday, 06-nov-94 08:49:37 GMT' } }, now)).toBe(7000);
    const leap = Date.UTC(2024, 1, 29);
    expect(delay({ headers: { 'retry-after': 'Thu, 29 Feb 2024 00:00:09 GMT' } }, leap)).toBe(9000);
    expect(
      delay({ headers: { 'retry-after': 'Wed, 29 Feb 2023 00:00:09 GMT' } }, 0),
    ).toBeUndefined();
  });

  it('refuses a mixture of the three forms', () => {
    for (const value of [
      'Sunday, 06 Nov 1994 08:49:37 GMT', // RFC 850 day name, IMF-fixdate date
      'Sun, 06-Nov-94 08:49:37 GMT', // IMF-fixdate day name, RFC 850 date
      'Sun, 06 Nov 94 08:49:37 GMT', // a two-digit year in IMF-fixdate
      'Sunday, 06-Nov-1994 08:49:37 GMT', // a four-digit year in RFC 850
      'Sun Nov  6 08:49:37 1994 GMT',
      'Sun Nov  6 08:49:37 94',
      'Sun, Nov  6 08:49:37 1994',
      'Sun,  6 Nov 1994 08:49:37 GMT',
      'Sun, 00 Nov 1994 08:49:37 GMT', // no day 0
      'Sun Nov 31 08:49:37 1994',
      'Sun Nov  6 08:49:61 1994',
      'Sonday, 06-Nov-94 08:49:37 GMT',
      'Xyz, 06 Nov 1994 08:49:37 GMT',
    ]) {
      expect(
        delay({ headers: { 'retry-after': value } }, 0),
        JSON.stringify(value),
      ).toBeUndefined();
    }
  });

  it('refuses what is not an HTTP-date, however Date.parse would read it', () => {
    for (const value of [
      '1e3',
      '-1',
      '-5',
      '+7',
      '.5',
      '7.',
      '7s',
      '7, 8',
      '0x10',
      'Infinity',
      'NaN',
      '',
      '   ',
      'soon',
      'tomorrow',
      '2026-03-01T12:00:00Z',
      '2026-03-01',
      'Sun, 01 Mar 2026 12:00:30', // no GMT
      'Sun, 01 Mar 2026 12:00:30 UTC',
      'Sun, 31 Feb 2026 12:00:30 GMT', // no such day
      'Sun, 01 Mar 2026 24:00:00 GMT',
      'Sun, 01 Mar 2026 12:60:00 GMT',
      'Sun, 01 Foo 2026 12:00:30 GMT',
      'Sun, 01 Anf 2026 12:00:30 GMT', // a slice of 'janfeb…', not a month
      `Sun, 01 Mar 2026 12:00:30 GMT${' '.repeat(64)}x`,
      '9'.repeat(65),
    ]) {
      expect(
        delay({ headers: { 'retry-after': value } }, 0),
        JSON.stringify(value),
      ).toBeUndefined();
    }
  });

  it('reads no HTTP-date when now is not a finite number; delta-seconds still work', () => {
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY, undefined as unknown as number]) {
      const date = { headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:07 GMT' } };
      expect(retryAfterDelay(date, 1, now), String(now)).toBeUndefined();
      expect(retryAfterDelay({ headers: { 'retry-after': '7' } }, 1, now)).toBe(7000);
    }
  });
});

describe('retryAfterDelay: never NaN, Infinity or negative, and no clamp', () => {
  it('does not clamp a long delay: the retry step does', () => {
    expect(delay({ retryAfterMs: 86_400_000 })).toBe(86_400_000);
    expect(delay({ headers: { 'retry-after': '86400' } })).toBe(86_400_000);
    expect(delay({ retryAfterMs: Number.MAX_VALUE })).toBe(Number.MAX_VALUE);
  });

  it('refuses what would overflow to Infinity', () => {
    expect(delay({ headers: { 'retry-after': 1e306 } })).toBeUndefined();
    expect(delay({ headers: { 'retry-after': Number.MAX_VALUE } })).toBeUndefined();
    expect(delay({ headers: { 'retry-after': -7 } })).toBeUndefined();
    expect(delay({ headers: { 'retry-after-ms': Number.NaN } })).toBeUndefined();
  });

  it('gives +0, never -0', () => {
    expect(Object.is(delay({ retryAfterMs: -0 }), 0)).toBe(true);
    expect(Object.is(delay({ headers: { 'retry-after': -0 } }), 0)).toBe(true);
  });
});

describe('retryAfterDelay: hostile values', () => {
  it('reads a throwing getter as nothing there', () => {
    const getterThrows = (key: string) =>
      Object.defineProperty({ headers: { 'retry-after': '7' } }, key, {
        get() {
          throw new Error(`${key} getter`);
        },
      });
    expect(delay(getterThrows('retryAfterMs'))).toBe(7000);
    expect(delay(getterThrows('response'))).toBe(7000);
    expect(delay(getterThrows('headers'))).toBeUndefined();
    const headerThrows = Object.defineProperty({}, 'retry-after', {
      enumerable: true,
      get() {
        throw new Error('header getter');
      },
    });
    expect(delay({ headers: headerThrows })).toBeUndefined();
    expect(delay({ headers: headerThrows, response: { headers: { 'retry-after': '3' } } })).toBe(
      3000,
    );
  });

  it('reads a revoked proxy, or one whose every trap throws, as nothing there', () => {
    expect(delay(revoked())).toBeUndefined();
    expect(delay(throwing)).toBeUndefined();
    expect(delay({ headers: revoked() })).toBeUndefined();
    expect(delay({ headers: throwing })).toBeUndefined();
    expect(delay({ response: revoked() })).toBeUndefined();
    expect(delay({ response: { headers: throwing } })).toBeUndefined();
  });

  it('reads a headers object whose get throws, or returns no string, as nothing there', () => {
    const getThrows = {
      get() {
        throw new Error('get');
      },
    };
    expect(delay({ headers: getThrows })).toBeUndefined();
    expect(delay({ headers: getThrows, response: { headers: { 'retry-after': '3' } } })).toBe(3000);
    const hostileValue = {
      toString() {
        throw new Error('toString');
      },
    };
    expect(delay({ headers: { get: () => hostileValue } })).toBeUndefined();
    expect(delay({ headers: { 'retry-after': hostileValue } })).toBeUndefined();
    expect(delay({ headers: { get: () => Promise.resolve('7') } })).toBeUndefined();
    expect(delay({ headers: { get: () => ['7'] } })).toBeUndefined();
  });

  it('reads a cyclic object without looping', () => {
    const error: Record<string, unknown> = {};
    error.response = error;
    error.headers = error;
    expect(delay(error)).toBeUndefined();
    const headers: Record<string, unknown> = { 'retry-after': '4' };
    headers.self = headers;
    expect(delay({ response: { headers } })).toBe(4000);
  });

  it('keeps no state: the same error gives the same delay, whatever came before', () => {
    const error = { headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:07 GMT' } };
    expect(delay(error, 1000)).toBe(6000);
    expect(delay({ retryAfterMs: 5 }, 1000)).toBe(5);
    expect(retryAfterDelay(error, 5, 1000)).toBe(6000);
    expect(delay(error, 1000)).toBe(6000);
  });
});

describe('retryAfterDelay: properties', () => {
  const isDelay = (value: unknown) =>
    value === undefined ||
    (typeof value === 'number' && Number.isFinite(value) && value >= 0 && !Object.is(value, -0));

  const headerValue = fc.oneof(
    fc.string(),
    fc.stringMatching(/^\s?\d{1,6}(\.\d{1,3})?\s?$/),
    fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
    fc.double(),
    fc.integer(),
    fc.anything(),
  );
  const headerName = fc.constantFrom(
    'retry-after',
    'Retry-After',
    'retry-after-ms',
    'RETRY-AFTER-MS',
    'x',
  );
  const headers = fc.oneof(
    fc.dictionary(headerName, headerValue),
    fc.dictionary(headerName, fc.string()).map((record) => {
      try {
        return new Headers(record);
      } catch {
        return new Headers();
      }
    }),
    fc.anything(),
  );
  const errorLike = fc.oneof(
    fc.anything({
      withBigInt: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
    }),
    fc.record(
      {
        retryAfterMs: fc.oneof(fc.double(), fc.anything()),
        headers,
        response: fc.oneof(fc.record({ headers }, { requiredKeys: [] }), fc.anything()),
        status: fc.integer({ min: 100, max: 599 }),
      },
      { requiredKeys: [] },
    ),
  );
  const now = fc.oneof(fc.double(), fc.integer({ min: 0, max: 4e12 }));

  it('never throws and gives undefined or a finite number ≥ 0, for anything', () => {
    fc.assert(
      fc.property(errorLike, fc.integer(), now, (error, attempt, at) => {
        expect(isDelay(retryAfterDelay(error, attempt, at))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is pure: the same input gives the same delay', () => {
    fc.assert(
      fc.property(errorLike, now, (error, at) => {
        expect(retryAfterDelay(error, 1, at)).toStrictEqual(retryAfterDelay(error, 2, at));
      }),
    );
  });

  it('reads delta-seconds n as n · 1000 ms', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), now, (seconds, at) => {
        expect(delay({ headers: new Headers({ 'retry-after': String(seconds) }) }, at)).toBe(
          seconds * 1000,
        );
      }),
    );
  });

  it('reads an HTTP-date as max(0, date − now)', () => {
    const second = fc
      .integer({ min: 0, max: Math.floor(Date.UTC(9999, 11, 31, 23, 59, 59) / 1000) })
      .map((s) => s * 1000);
    fc.assert(
      fc.property(second, fc.integer({ min: -1e12, max: 3e14 }), (date, at) => {
        const header = new Date(date).toUTCString();
        expect(delay({ response: { headers: { 'Retry-After': header } } }, at)).toBe(
          Math.max(0, date - at),
        );
      }),
    );
  });
});
