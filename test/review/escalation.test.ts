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
  // The classifier drops `g`/`y` (errorPattern.ts: "`g` and `y` are dropped") because
  // RegExp#test is stateful with them; a correction rule's `match` and escalateOn's `match`
  // are used as given, so every other matching error is not matched.
  it('a correction rule with a /g match corrects every matching error', () => {
    const corrected = correctErrors<string>([
      { id: 'r', match: /boom/g, correct: () => of('fixed') },
    ]);
    const results: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const source = new Subject<string>();
      source
        .pipe(corrected)
        .subscribe({ next: (v) => results.push(v), error: () => results.push('error') });
      source.error(new Error('boom'));
    }
    expect(results).toEqual(['fixed', 'fixed', 'fixed']);
  });

  it('escalateOn with a /g match escalates every matching error', () => {
    const escalate = escalateOn<string>({ match: /boom/g });
    const names: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const source = new Subject<string>();
      source.pipe(escalate).subscribe({ error: (error: Error) => names.push(error.name) });
      source.error(new Error('boom'));
    }
    expect(names).toEqual(['EscalationError', 'EscalationError', 'EscalationError']);
  });
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
