import { describe, expect, it } from 'vitest';
// Straight from the modules, not the main entry: the test needs only the classifier.
import { classify } from '../../src/patterns/classifier.js';
import { errorText, MAX_ERROR_TEXT } from '../../src/patterns/errorText.js';

function cyclic(): unknown {
  const value: Record<string, unknown> = { message: 'timed out while waiting' };
  value.self = value;
  value.cause = { parent: value };
  return value;
}

describe('errorText', () => {
  it.each([
    ['an Error', new Error('boom'), 'Error: boom'],
    ['an Error subclass', new TypeError('x is not a function'), 'TypeError: x is not a function'],
    ['an Error with an empty message', new RangeError(), 'RangeError'],
    ['a string', 'Cannot find module x', 'Cannot find module x'],
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a symbol', Symbol('quorum not reached'), 'Symbol(quorum not reached)'],
    ['a plain object', { reason: 'x' }, '[object Object]'],
    ['a plain object with a status', { status: 503 }, '[object Object]\nHTTP 503'],
    [
      'an object with a string message',
      { name: 'ValidationError', message: 'bad' },
      'ValidationError: bad',
    ],
    ['an object with only a message', { message: 'timed out' }, 'Error: timed out'],
    ['a null-prototype object', Object.create(null), '[object Object]'],
    ['a cyclic object', cyclic(), 'Error: timed out while waiting'],
    [
      'an Error with a string code',
      Object.assign(new Error('x'), { code: 'ETIMEDOUT' }),
      'Error: x\nETIMEDOUT',
    ],
    ['an Error with a numeric code', Object.assign(new Error('x'), { code: 504 }), 'Error: x'],
    [
      'an Error whose code is not an identifier',
      Object.assign(new Error('x'), { code: 'a b' }),
      'Error: x',
    ],
  ])('reads %s', (_, error, expected) => {
    expect(errorText(error)).toBe(expected);
  });

  it('survives a message getter that throws', () => {
    const error = {
      get message(): string {
        throw new Error('getter exploded');
      },
    };
    expect(errorText(error)).toBe('[object Object]');
    expect(classify(error).errorType).toBe('unknown');
  });

  it('survives an Error whose name and code getters throw', () => {
    const error = new Error('request timed out');
    Object.defineProperty(error, 'name', {
      get() {
        throw new Error('no');
      },
    });
    Object.defineProperty(error, 'code', {
      get() {
        throw new Error('no');
      },
    });
    expect(errorText(error)).toBe('Error: request timed out');
    expect(classify(error).pattern?.id).toBe('operation_timeout');
  });

  it('survives a toString that throws and a revoked proxy', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(errorText(hostile)).toBe('[object Object]');
    expect(errorText(proxy)).toBe('[object Unknown]');
    expect(classify(proxy)).toEqual({ errorType: 'unknown', plan: [] });
  });

  it('reads only the first 8 KiB of a 1 MB message, and still reads the code', () => {
    const message = `${'x'.repeat(1024 * 1024 - 9)} timed out`;
    const error = Object.assign(new Error(message), { code: 'E_LONG' });
    const text = errorText(error);
    expect(MAX_ERROR_TEXT).toBe(8192);
    expect(text).toBe(`Error: ${'x'.repeat(MAX_ERROR_TEXT - 7)}\nE_LONG`);
    expect(classify(error).errorType).toBe('unknown');
    expect(classify(`timed out ${message}`).errorType).toBe('timeout');
    expect(errorText('y'.repeat(1024 * 1024))).toHaveLength(MAX_ERROR_TEXT);
  });

  describe('the HTTP status line', () => {
    const withStatus = (fields: Record<string, unknown>) =>
      Object.assign(new Error('request failed'), fields);

    it.each([
      ['status', { status: 503 }, 'HTTP 503'],
      ['statusCode', { statusCode: 502 }, 'HTTP 502'],
      ['response.status', { response: { status: 429 } }, 'HTTP 429'],
      ['the lowest status', { status: 100 }, 'HTTP 100'],
      ['the highest status', { status: 599 }, 'HTTP 599'],
      ['status before statusCode', { status: 503, statusCode: 502 }, 'HTTP 503'],
      [
        'statusCode before response.status',
        { statusCode: 502, response: { status: 429 } },
        'HTTP 502',
      ],
      ['statusCode when status is not a status', { status: 'failed', statusCode: 504 }, 'HTTP 504'],
      [
        'response.status when the others are out of range',
        { status: 0, statusCode: 600, response: { status: 529 } },
        'HTTP 529',
      ],
    ])('reads %s', (_, fields, line) => {
      expect(errorText(withStatus(fields))).toBe(`Error: request failed\n${line}`);
    });

    it.each([
      ['a numeric string', { status: '503' }],
      ['a fraction', { status: 503.5 }],
      ['below 100', { status: 99 }],
      ['above 599', { statusCode: 600 }],
      ['NaN', { status: Number.NaN }],
      ['Infinity', { status: Number.POSITIVE_INFINITY }],
      ['a boxed number', { status: Object(503) }],
      ['a bigint', { status: 503n }],
      ['a null response', { response: null }],
      ['a string response', { response: '503' }],
      ['a status nested deeper', { response: { data: { status: 503 } } }],
    ])('reads no status from %s', (_, fields) => {
      expect(errorText(withStatus(fields))).toBe('Error: request failed');
    });

    it('puts the code line first, then the status line', () => {
      const error = withStatus({ code: 'ERR_BAD_RESPONSE', response: { status: 503 } });
      expect(errorText(error)).toBe('Error: request failed\nERR_BAD_RESPONSE\nHTTP 503');
    });

    it('reads no status from a primitive that has one on its prototype', () => {
      expect(errorText('Service Unavailable')).toBe('Service Unavailable');
      expect(errorText(503)).toBe('503');
    });

    it('reads response only when status and statusCode are not statuses', () => {
      const reads: string[] = [];
      const error = new Proxy(new Error('request failed'), {
        get(target, key, receiver) {
          if (typeof key === 'string') reads.push(key);
          if (key === 'status') return 503;
          return Reflect.get(target, key, receiver);
        },
      });
      expect(errorText(error)).toBe('Error: request failed\nHTTP 503');
      expect(reads).toEqual(['message', 'name', 'code', 'status']);
    });

    it('survives status getters that throw and reads the next one', () => {
      const error = new Error('request failed');
      Object.defineProperty(error, 'status', {
        get() {
          throw new Error('no');
        },
      });
      Object.defineProperty(error, 'statusCode', {
        get() {
          throw new Error('no');
        },
      });
      Object.defineProperty(error, 'response', { value: { status: 429 } });
      expect(errorText(error)).toBe('Error: request failed\nHTTP 429');
      expect(classify(error).pattern?.id).toBe('rate_limited');
    });

    it('survives a response getter that throws, and a response.status getter that throws', () => {
      const throwing = withStatus({});
      Object.defineProperty(throwing, 'response', {
        get() {
          throw new Error('no');
        },
      });
      const nested = withStatus({
        response: {
          get status(): number {
            throw new Error('no');
          },
        },
      });
      expect(errorText(throwing)).toBe('Error: request failed');
      expect(errorText(nested)).toBe('Error: request failed');
    });

    it('survives a revoked proxy as the response, and as the error', () => {
      const { proxy, revoke } = Proxy.revocable({ status: 503 }, {});
      revoke();
      expect(errorText(withStatus({ response: proxy }))).toBe('Error: request failed');
      const revokedError = Proxy.revocable(withStatus({ status: 503 }), {});
      revokedError.revoke();
      expect(errorText(revokedError.proxy)).toBe('[object Unknown]');
    });

    it('survives a proxy whose every trap throws', () => {
      const hostile = new Proxy(
        {},
        {
          get() {
            throw new Error('get');
          },
          getPrototypeOf() {
            throw new Error('getPrototypeOf');
          },
        },
      );
      expect(errorText(hostile)).toBe('[object Unknown]');
      expect(errorText(withStatus({ response: hostile }))).toBe('Error: request failed');
    });

    it('survives a cyclic response', () => {
      const error: Record<string, unknown> = { message: 'upstream failed' };
      error.response = error;
      const response: Record<string, unknown> = { status: 503 };
      response.request = { response };
      expect(errorText(error)).toBe('Error: upstream failed');
      expect(errorText(withStatus({ response }))).toBe('Error: request failed\nHTTP 503');
    });

    it('keeps the 8 KiB cap on the message: the status line comes after the cut', () => {
      const message = `${'x'.repeat(1024 * 1024)} HTTP 429`;
      const error = Object.assign(new Error(message), { code: 'E_LONG', status: 503 });
      expect(errorText(error)).toBe(`Error: ${'x'.repeat(MAX_ERROR_TEXT - 7)}\nE_LONG\nHTTP 503`);
      // The 429 past the cap is never read; the status is.
      expect(classify(error).pattern?.id).toBe('service_unavailable');
    });
  });
});
