import { Observable, type Observer, Subscription } from 'rxjs';

/**
 * `source` as a side-effect stream's consumers get it: an Observable (they cannot `next`,
 * `error` or `complete` it for the others) whose direct subscribers cannot break the other
 * subscribers or the process. A direct subscriber's `next` or `complete` that throws is
 * handed to `onThrow` instead of reaching RxJS, which would rethrow it asynchronously as an
 * uncaught error (in Node, the end of the process). What `pipe` makes of it is guarded the
 * same way, so the consumer at the end of a pipe (`signals.pipe(filter(…)).subscribe(…)`)
 * is a direct subscriber too; operator subscribers pass through as they are. `before` runs
 * before each subscription. The streams guarded here never error.
 */
export function guarded<T>(
  source: Observable<T>,
  onThrow: (error: unknown) => void,
  before?: () => void,
): Observable<T> {
  const stream = new Observable<T>();
  // A pipe's result is guarded too: its final subscriber is the consumer that may throw.
  stream.pipe = ((...operators: unknown[]) =>
    guarded(
      (source.pipe as (...operators: unknown[]) => Observable<unknown>)(...operators),
      onThrow,
      before,
    )) as Observable<T>['pipe'];
  // An own `subscribe`: piping (`lift`) and `firstValueFrom` reach it too.
  stream.subscribe = ((
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    _error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ) => {
    before?.();
    if (observerOrNext instanceof Subscription) return source.subscribe(observerOrNext);
    // RxJS's (deprecated, still typed) three-callback form included.
    const observer: {
      next?: ((value: T) => void) | undefined;
      complete?: (() => void) | undefined;
    } =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? { next: observerOrNext ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    // Plain methods with their own try/catch: no wrapper or argument array per delivery.
    return source.subscribe({
      next(value: T) {
        try {
          observer.next?.(value);
        } catch (error) {
          onThrow(error);
        }
      },
      complete() {
        try {
          observer.complete?.();
        } catch (error) {
          onThrow(error);
        }
      },
    });
  }) as Observable<T>['subscribe'];
  return stream;
}
