import { beforeAll, describe, expect, it } from 'vitest';
import { type CaseResult, spawnCases } from './child/cases.js';
import { collectCases } from './child/collect.js';

/**
 * Ended pipelines are collectable: WeakRef and FinalizationRegistry over their sources,
 * errors, values and subscribers, in a child process started with `--expose-gc`.
 */
let results: Map<string, CaseResult>;

beforeAll(() => {
  results = spawnCases('./collect.ts', ['--expose-gc']);
}, 120_000);

describe('collectability (child process, --expose-gc)', () => {
  it.each(collectCases.map((c) => c.name))('%s', (name) => {
    const result = results.get(name);
    expect(result?.error).toBeUndefined();
    expect(result?.ok).toBe(true);
  });
});
