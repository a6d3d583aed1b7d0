import { type Observable, of } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  correctErrors,
  degradeGracefully,
  escalateOn,
  retryBackoff,
  switchToAlternative,
  withRecovery,
} from '../src/index.js';

describe('operator types', () => {
  it('keeps the source type through the mono-type operators', () => {
    expectTypeOf(of(1).pipe(retryBackoff())).toEqualTypeOf<Observable<number>>();
    expectTypeOf(of(1).pipe(withRecovery())).toEqualTypeOf<Observable<number>>();
    expectTypeOf(of(1).pipe(escalateOn())).toEqualTypeOf<Observable<number>>();
  });

  it('widens to what a fallback can emit', () => {
    expectTypeOf(of(1).pipe(degradeGracefully([{ name: 'stub', value: 'none' }]))).toEqualTypeOf<
      Observable<number | string>
    >();
    expectTypeOf(of(1).pipe(switchToAlternative([() => of(true)]))).toEqualTypeOf<
      Observable<number | boolean>
    >();
    expectTypeOf(of('code').pipe(correctErrors([{ id: 'x', correct: () => of(0) }]))).toEqualTypeOf<
      Observable<string | number>
    >();
  });

  it('rejects bad options at compile time', () => {
    // @ts-expect-error: maxRetry is not an option
    retryBackoff({ maxRetry: 2 });
    // @ts-expect-error: jitter is one of none, full, equal, decorrelated
    retryBackoff({ jitter: 'some' });
    // @ts-expect-error: a level needs a name
    degradeGracefully([{ value: 1 }]);
    // @ts-expect-error: terminal is error or complete
    escalateOn({ terminal: 'ignore' });
    // @ts-expect-error: alternatives of a withRecovery<number> emit numbers
    of(1).pipe(withRecovery(undefined, { alternatives: { import: [() => of('x')] } }));
  });
});
