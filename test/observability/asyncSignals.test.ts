import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type AsyncSignalMode,
  asyncSignals,
  createRecoveryHub,
  isRecoveryConfigError,
  type RecoverySignal,
} from '../../src/index.js';
import { publishTo } from '../../src/observability/hub.js';

/** A stand-in signal numbered `n` (in `at`): the iterator never looks inside. */
const signal = (n: number) => ({ type: 'observer_error', at: n }) as unknown as RecoverySignal;

/** A promise and its resolve, for a test to say when something may go on. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Lets `n` turns of the microtask queue pass: a loop body that awaits something quick. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const iterate = <T>(iterable: AsyncIterable<T>): AsyncIterator<T> =>
  iterable[Symbol.asyncIterator]();

describe("asyncSignals 'latest'", () => {
  it('yields the newest signal that arrived while the loop body awaited, without waiting for another', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const first = iterator.next();
    signals.next(signal(1));
    expect(await first).toEqual({ value: signal(1), done: false });
    // The loop body runs (it awaits something); signal 2 arrives meanwhile.
    signals.next(signal(2));
    await turns(3);
    const second = iterator.next();
    signals.next(signal(3)); // later than the loop asked: not the answer
    expect(await second).toEqual({ value: signal(2), done: false });
    expect(await iterator.next()).toEqual({ value: signal(3), done: false });
    await iterator.return?.();
    expect(signals.observed).toBe(false);
  });

  it('in a for await loop: skips what the body was too slow to see, and yields the newest', async () => {
    const signals = new Subject<RecoverySignal>();
    const seen: number[] = [];
    const firstSeen = deferred();
    const bodyDone = deferred();
    const loop = (async () => {
      for await (const s of asyncSignals(signals, 'latest')) {
        seen.push(s.at);
        if (s.at === 1) {
          firstSeen.resolve();
          await bodyDone.promise;
        }
      }
    })();
    signals.next(signal(1));
    await firstSeen.promise; // the body has signal 1 and awaits
    signals.next(signal(2)); // too slow to see: skipped
    signals.next(signal(3)); // the newest
    bodyDone.resolve();
    signals.complete();
    await loop;
    expect(seen).toEqual([1, 3]);
  });

  it('yields the signal held when the source completes, then ends', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const first = iterator.next();
    signals.next(signal(1));
    await first;
    signals.next(signal(2));
    await turns(3);
    signals.complete();
    expect(await iterator.next()).toEqual({ value: signal(2), done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('yields the signal held when the source fails, then throws its error; a waiting next() rejects', async () => {
    const failure = new Error('hub gone');
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const first = iterator.next();
    signals.next(signal(1));
    await first;
    signals.next(signal(2));
    signals.error(failure);
    expect(await iterator.next()).toEqual({ value: signal(2), done: false });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });

    const waiting = new Subject<RecoverySignal>();
    const other = iterate(asyncSignals(waiting, 'latest'));
    const pending = other.next();
    waiting.error(failure);
    await expect(pending).rejects.toBe(failure);
  });

  it('answers next() calls made together one signal each, in order', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const [a, b, c] = [iterator.next(), iterator.next(), iterator.next()];
    signals.next(signal(1));
    signals.next(signal(2));
    signals.complete();
    expect(await Promise.all([a, b, c])).toEqual([
      { value: signal(1), done: false },
      { value: signal(2), done: false },
      { value: undefined, done: true },
    ]);
  });

  it('return() unsubscribes at once and settles a waiting next() as done', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const pending = iterator.next();
    expect(signals.observed).toBe(true);
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    expect(signals.observed).toBe(false);
    expect(await pending).toEqual({ value: undefined, done: true });
    signals.next(signal(1));
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('throw() unsubscribes and rejects with the error given', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    const pending = iterator.next();
    const reason = new Error('stop');
    await expect(iterator.throw?.(reason)).rejects.toBe(reason);
    expect(signals.observed).toBe(false);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('subscribes at the first next(), not before; return() before it subscribes nothing', async () => {
    const signals = new Subject<RecoverySignal>();
    const iterator = iterate(asyncSignals(signals, 'latest'));
    expect(signals.observed).toBe(false);
    await iterator.return?.();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(signals.observed).toBe(false);
  });
});

describe('asyncSignals, every mode', () => {
  const modes: AsyncSignalMode[] = ['each', 'buffered', 'latest'];

  it.each(modes)('%s: breaking out of the loop unsubscribes', async (mode) => {
    const signals = new Subject<RecoverySignal>();
    const loop = (async () => {
      for await (const _ of asyncSignals(signals, mode as 'each')) break;
    })();
    expect(signals.observed).toBe(true);
    signals.next(signal(1));
    await loop;
    expect(signals.observed).toBe(false);
  });

  it.each(modes)('%s: reads a hub, from the first next() on', async (mode) => {
    const hub = createRecoveryHub();
    const iterator = iterate(asyncSignals(hub, mode as 'each'));
    const first = iterator.next();
    publishTo(hub, signal(1)); // as a pipeline does
    const { value } = await first;
    expect(value).toEqual(mode === 'buffered' ? [signal(1)] : signal(1));
    await iterator.return?.();
  });

  it('refuses an unknown mode, and a source that is neither a hub nor a stream, naming the argument', () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isRecoveryConfigError(error) && error.message;
      }
      return 'accepted';
    };
    expect(refused(() => asyncSignals(new Subject<RecoverySignal>(), 'lates' as 'latest'))).toBe(
      'mode: must be one of each, buffered, latest, got "lates"',
    );
    expect(refused(() => asyncSignals(undefined as never))).toBe(
      'source: must be a RecoveryHub or an Observable of signals, got nothing',
    );
    // Every problem at once.
    expect(refused(() => asyncSignals(42 as never, 'buffer' as 'buffered'))).toBe(
      'source: must be a RecoveryHub or an Observable of signals, got 42\n' +
        'mode: must be one of each, buffered, latest, got "buffer"',
    );
  });
});

/**
 * Runs one interleaving: a `for await` loop whose body awaits `bodyTurns[i]` microtask
 * turns after its i-th value, while the test sends signals 1, 2, … and lets `turns` pass
 * as `steps` say, then ends the source. Returns what the loop saw, and how it ended.
 */
async function interleave(
  mode: AsyncSignalMode,
  steps: readonly ('send' | number)[],
  bodyTurns: readonly number[],
  end: 'complete' | 'error',
) {
  const signals = new Subject<RecoverySignal>();
  const failure = new Error('source failed');
  let sent = 0;
  /** For each value yielded: the newest signal sent when the loop asked for it. */
  const asked: number[] = [];
  const seen: (number | number[])[] = [];
  let askedNow = 0;
  const loop = (async () => {
    for await (const value of asyncSignals(signals, mode as 'each') as AsyncIterable<
      RecoverySignal | RecoverySignal[]
    >) {
      asked.push(askedNow);
      seen.push(Array.isArray(value) ? value.map((s) => s.at) : value.at);
      await turns(bodyTurns[(seen.length - 1) % bodyTurns.length] as number);
      askedNow = sent; // the loop asks for the next value right after this line
    }
  })().then(
    () => 'complete',
    (error: unknown) => (error === failure ? 'error' : error),
  );
  for (const step of steps) {
    if (step === 'send') signals.next(signal(++sent));
    else await turns(step);
  }
  if (end === 'complete') signals.complete();
  else signals.error(failure);
  const ended = await loop;
  return { sent, seen, asked, ended, observed: signals.observed };
}

describe('asyncSignals: rules that hold for every interleaving', () => {
  const interleaving = fc.record({
    steps: fc.array(fc.oneof(fc.constant('send' as const), fc.integer({ min: 0, max: 4 })), {
      maxLength: 30,
    }),
    bodyTurns: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
    end: fc.constantFrom('complete' as const, 'error' as const),
  });
  const all = (sent: number) => Array.from({ length: sent }, (_, i) => i + 1);

  it("'each' yields every signal once, in order, then ends as the source did", async () => {
    await fc.assert(
      fc.asyncProperty(interleaving, async ({ steps, bodyTurns, end }) => {
        const { sent, seen, ended, observed } = await interleave('each', steps, bodyTurns, end);
        expect(seen).toEqual(all(sent));
        expect(ended).toBe(end);
        expect(observed).toBe(false);
      }),
    );
  });

  it("'buffered' yields every signal once, in order, in batches that are never empty", async () => {
    await fc.assert(
      fc.asyncProperty(interleaving, async ({ steps, bodyTurns, end }) => {
        const { sent, seen, ended, observed } = await interleave('buffered', steps, bodyTurns, end);
        expect(seen.every((batch) => Array.isArray(batch) && batch.length > 0)).toBe(true);
        expect(seen.flat()).toEqual(all(sent));
        expect(ended).toBe(end);
        expect(observed).toBe(false);
      }),
    );
  });

  it("'latest' yields newer signals only, never older than the newest when the loop asked, and ends with the last one sent", async () => {
    await fc.assert(
      fc.asyncProperty(interleaving, async ({ steps, bodyTurns, end }) => {
        const { sent, seen, asked, ended, observed } = await interleave(
          'latest',
          steps,
          bodyTurns,
          end,
        );
        const values = seen as number[];
        values.forEach((value, i) => {
          expect(value).toBeGreaterThan(i === 0 ? 0 : (values[i - 1] as number));
          expect(value).toBeGreaterThanOrEqual(asked[i] as number);
        });
        expect(values.at(-1)).toBe(sent === 0 ? undefined : sent);
        expect(ended).toBe(end);
        expect(observed).toBe(false);
      }),
    );
  });
});
