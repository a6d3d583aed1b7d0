import type { OperatorFunction } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';

/**
 * A marble case: documentation and a test at once. `test/marbles.test.ts` runs every
 * case in `TestScheduler.run`; the docs draw their diagrams from the same data.
 */
export interface MarbleCase {
  readonly title: string;
  /** The operator as it is written in the diagram's box. */
  readonly operator: string;
  /** A cold source, subscribed by the operator. */
  readonly source: string;
  readonly sourceValues?: Readonly<Record<string, unknown>>;
  readonly sourceError?: unknown;
  /** Builds the operator; `cold`/`hot` make any extra sources (alternatives, levels). */
  readonly build: (helpers: RunHelpers) => OperatorFunction<unknown, unknown>;
  readonly expected: string;
  readonly expectedValues?: Readonly<Record<string, unknown>>;
  /** Compared by `name` and `message` when it is an Error. */
  readonly expectedError?: unknown;
  /** Subscriptions of the source, one marble per subscription. */
  readonly subscriptions: readonly string[];
}
