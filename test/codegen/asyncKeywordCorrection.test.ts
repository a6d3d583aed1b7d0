import { of } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { asyncKeywordCorrection } from '../../src/codegen.js';
import { type CorrectionRule, correctErrors, withRecovery } from '../../src/index.js';
import { testScheduler } from '../helpers/marbles.js';

/** A SyntaxError as Node reports a missing `async`, carrying the code that failed. */
const missingAsync = (source?: string, lineno?: number) =>
  Object.assign(
    new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
    source === undefined ? {} : { source },
    lineno === undefined ? {} : { lineno },
  );

describe('asyncKeywordCorrection in correctErrors', () => {
  it('repairs the missing async in the code on error.source and emits the repaired code', () => {
    // biome-ignore format: aligned marbles
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, missingAsync('function f() { await g(); }'));
        const subs =        '^-!';
        const expected =    '--(c|)';

        expectObservable(source.pipe(correctErrors<string>([asyncKeywordCorrection]))).toBe(expected, {
          c: 'async function f() { await g(); }',
        });
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
  });

  it('repairs the code in context.state.code when the error carries none', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const code = 'const load = (id) => {\n  return await db.get(id);\n};';
      const source = cold('--#', undefined, missingAsync());
      const result = source.pipe(
        correctErrors<string>([asyncKeywordCorrection], {
          context: { correlationId: 'test', state: { code } },
        }),
      );
      expectObservable(result).toBe('--(c|)', {
        c: 'const load = async (id) => {\n  return await db.get(id);\n};',
      });
    });
  });

  it('repairs only the function on the line the error names', () => {
    const code = 'function first() {\n  await a();\n}\nfunction second() {\n  await b();\n}';
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, missingAsync(code, 5));
      expectObservable(source.pipe(correctErrors<string>([asyncKeywordCorrection]))).toBe('-(c|)', {
        c: 'function first() {\n  await a();\n}\nasync function second() {\n  await b();\n}',
      });
    });
  });

  it("repairs Python's 'await' outside async function", () => {
    const code = 'def fetch_user(client, user_id):\n    return await client.get(user_id)\n';
    const pythonError = Object.assign(new SyntaxError("'await' outside async function"), {
      source: code,
    });
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, pythonError);
      expectObservable(source.pipe(correctErrors<string>([asyncKeywordCorrection]))).toBe('-(c|)', {
        c: `async ${code}`,
      });
    });
  });

  it('lets the error through untouched when the repair is not certain', () => {
    const topLevel = missingAsync('const config = await loadConfig();');
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, topLevel);
      expectObservable(source.pipe(correctErrors<string>([asyncKeywordCorrection]))).toBe(
        '-#',
        undefined,
        topLevel,
      );
    });
  });

  it('asks the rules in the order listed', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, missingAsync('function f() { await g(); }'));
      const result = source.pipe(
        correctErrors<string>([
          { id: 'mine', correct: () => of('my fix') },
          asyncKeywordCorrection,
        ]),
      );
      expectObservable(result).toBe('-(m|)', { m: 'my fix' });
    });
  });
});

describe('asyncKeywordCorrection is explicit', () => {
  it('is a CorrectionRule<string>: a stream of anything else cannot list it', () => {
    expectTypeOf(asyncKeywordCorrection).toEqualTypeOf<CorrectionRule<string>>();
    interface Model {
      readonly name: string;
    }
    // @ts-expect-error a repaired string is not a Model
    withRecovery<Model>(undefined, { corrections: [asyncKeywordCorrection] });
    expect(() =>
      withRecovery<string>(undefined, { corrections: [asyncKeywordCorrection] }),
    ).not.toThrow();
  });

  it('repairs inside withRecovery when listed, under the default missing_async_keyword pattern', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, missingAsync('function f() { await g(); }'));
      const result = source.pipe(
        withRecovery<string>(undefined, { corrections: [asyncKeywordCorrection] }),
      );
      expectObservable(result).toBe('--(c|)', { c: 'async function f() { await g(); }' });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(asyncKeywordCorrection)).toBe(true);
  });
});
