import { describe, expect, it } from 'vitest';
import { classify, errorText, MAX_ERROR_TEXT } from '../../src/index.js';

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
});
