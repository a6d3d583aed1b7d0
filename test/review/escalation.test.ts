// Review of: escalation that waits for a person, the non-retry strategies, the hub's
// escalation API. Each test fails today and names the contract sentence it checks.
import { of, config as rxConfig, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  correctErrors,
  createRecoveryHub,
  escalateOn,
  isRecoveryConfigError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { quorumError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

/** A stream paused on `hub` by an escalation that waits (quorum error, no step left). */
function paused(hub = createRecoveryHub(), escalation: object = {}) {
  const source = new Subject<string>();
  const values: string[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const subscription = source
    .pipe(
      withRecovery<string>(undefined, {
        hub,
        maxAttempts: 0,
        escalation: { await: true, ...escalation },
      }),
    )
    .subscribe({
      next: (value) => values.push(value),
      error: (error) => errors.push(error),
      complete: () => (completed = true),
    });
  source.error(quorumError);
  return { hub, values, errors, completed: () => completed, subscription };
}

describe('review: escalation that waits for a person', () => {
});

describe('review: non-retry strategies', () => {
});

describe('review: alternatives are copied when the pipe is built', () => {
  // withRecovery.ts: "Copies: what the options hold now is what every subscription gets."
  // (and the options are validated when the pipe is built). Only the record is copied: an
  // alternative pushed into a list afterwards is used, unvalidated.
  it('an alternative added to the options after the pipe is built is not used', () => {
    const templateError = new Error('TemplateError: boom');
    const list: Array<() => unknown> = [() => of('first')];
    const recovered = withRecovery<string>(undefined, {
      alternatives: { template_rendering_error: list as never },
    });
    list.unshift(() => of('added later'));
    const out: string[] = [];
    const source = new Subject<string>();
    source.pipe(recovered).subscribe({ next: (v) => out.push(v) });
    source.error(templateError);
    expect(out).toEqual(['first']);
  });
});
