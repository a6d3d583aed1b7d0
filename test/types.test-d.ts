import { type Observable, of, throwError } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import { asyncKeywordCorrection } from '../src/codegen.js';
import {
  correctErrors,
  degradeGracefully,
  ErrorRecoveryOrchestrator,
  escalateOn,
  type HandledError,
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
    of(1).pipe(withRecovery<number>(undefined, { alternatives: { import: [() => of('x')] } }));
    // @ts-expect-error: asyncKeywordCorrection emits strings, not Models
    withRecovery<{ name: string }>(undefined, { corrections: [asyncKeywordCorrection] });
  });
});

describe('inference without a type argument', () => {
  interface User {
    readonly id: string;
  }
  interface CachedUser extends User {
    readonly cachedAt: number;
  }
  const user$ = of<User>({ id: '1' });
  const cached: CachedUser = { id: '1', cachedAt: 0 };

  it('takes an alternative of a subtype', () => {
    expectTypeOf(
      user$.pipe(withRecovery(undefined, { alternatives: { import: [() => of(cached)] } })),
    ).toEqualTypeOf<Observable<User | CachedUser>>();
  });

  it('widens to a degradation level of another type, such as null', () => {
    expectTypeOf(
      user$.pipe(
        withRecovery(undefined, { degradation: { levels: [{ name: 'none', value: null }] } }),
      ),
    ).toEqualTypeOf<Observable<User | null>>();
  });

  it('keeps the source type when recovery adds nothing, on a never source too', () => {
    expectTypeOf(user$.pipe(withRecovery())).toEqualTypeOf<Observable<User>>();
    expectTypeOf(
      throwError(() => new Error('x')).pipe(
        withRecovery(undefined, { degradation: { levels: [{ name: 'stub', value: 7 }] } }),
      ),
    ).toEqualTypeOf<Observable<number>>();
  });
});

describe('ErrorRecoveryOrchestrator.handleError types', () => {
  interface WorkflowState {
    tries: number;
    readonly log: string[];
  }
  class SessionState {
    attempts = 0;
  }

  it('is generic over the state: an interface or a class works without casts', () => {
    const orchestrator = new ErrorRecoveryOrchestrator();
    const state: WorkflowState = { tries: 0, log: [] };
    const handled = orchestrator.handleError({ state, workflowId: undefined }, (st) => {
      expectTypeOf(st).toEqualTypeOf<WorkflowState>();
      st.tries += 1;
      return st.log.length;
    });
    expectTypeOf(handled).toEqualTypeOf<Promise<HandledError<number>>>();
    orchestrator.handleError({ state: new SessionState() }, (st, { signal, attempt }) => {
      expectTypeOf(st).toEqualTypeOf<SessionState>();
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(attempt).toEqualTypeOf<number>();
      return of('done');
    });
  });

  it('resolves the value type of a promise or an observable', () => {
    const orchestrator = new ErrorRecoveryOrchestrator();
    expectTypeOf(orchestrator.handleError({}, async () => 'code')).toEqualTypeOf<
      Promise<HandledError<string>>
    >();
    expectTypeOf(orchestrator.handleError({}, () => of(1, 2))).toEqualTypeOf<
      Promise<HandledError<number>>
    >();
  });
});
