import { defer, lastValueFrom, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createRecoveryHub, withRecovery } from '../../src/index.js';
import { quorumError } from '../helpers/errors.js';

const quorum$ = () => defer(() => throwError(() => quorumError));

describe('RecoveryStatistics', () => {
  it('escalations counts recoveries that ended in escalation, not escalated signals', async () => {
    const hub = createRecoveryHub();
    let answers = 0;
    const failed = lastValueFrom(
      quorum$().pipe(
        withRecovery(undefined, {
          hub,
          retry: { baseDelayMs: 0 },
          escalation: {
            await: true,
            // A person says "retry" twice, then gives up: three escalations, one recovery.
            resolve: () =>
              Promise.resolve(
                answers++ < 2 ? { action: 'retry' as const } : { action: 'abort' as const },
              ),
          },
        }),
      ),
    ).catch(() => 'aborted');
    expect(await failed).toBe('aborted');
    expect(answers).toBe(3);
    const stats = hub.snapshot();
    expect(stats).toMatchObject({
      totalRecoveries: 1,
      failed: 1,
      strategiesUsed: { escalate: 1 },
      escalations: 1,
    });
  });
});
