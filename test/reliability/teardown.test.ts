import { beforeAll, describe, expect, it } from 'vitest';
import { type CaseResult, spawnCases } from './child/cases.js';
import { teardownCases } from './child/teardown.js';

/**
 * Teardown and leaks under the real asyncScheduler. The checks count the process's active
 * handles (`process.getActiveResourcesInfo()`), so they run in a child process of their
 * own: the test runner's own timers would otherwise come and go in the counts.
 */
let results: Map<string, CaseResult>;

beforeAll(() => {
  results = spawnCases('./teardown.ts');
}, 120_000);

describe('teardown under real schedulers (child process)', () => {
  it.each(teardownCases.map((c) => c.name))('%s', (name) => {
    const result = results.get(name);
    expect(result?.error).toBeUndefined();
    expect(result?.ok).toBe(true);
  });
});
