import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { checkSync as RecheckCheckSync } from 'recheck';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRegexSafetyCheck,
  type RecheckCheck,
  regexSafetyIssue,
  WIDEN_FROM,
  widenBoundedRepeats,
} from '../../src/files/regexSafety.js';
import { safeRegexes, type VulnerableRegexCase, vulnerableRegexes } from './regexCorpus.js';

const recheck = createRequire(import.meta.url)('recheck') as { checkSync: typeof RecheckCheckSync };

const optOut = 'set allowUnsafeRegex: true on this pattern to accept it';
const refusal =
  /^regex can backtrack catastrophically \((exponential|polynomial, degree \d+)[^;]*; attack string (?:"[^\n]+"|'[^\n]+)\); set allowUnsafeRegex: true on this pattern to accept it$/;

/** recheck's real checker, counting its calls. */
function countingCheck(): { check: RecheckCheck; calls: string[] } {
  const calls: string[] = [];
  const check: RecheckCheck = (source, flags, params) => {
    calls.push(`/${source}/${flags}`);
    return recheck.checkSync(source, flags, params);
  };
  return { check, calls };
}

describe('regexSafetyIssue: the corpus', () => {
  // Checks run in recheck's worker; the slowest safe one takes ~2 s with the native binary.
  it.each(safeRegexes.map((c) => [c.name, c] as const))(
    'accepts %s',
    (_, { regex, example }) => {
      expect(regex.test(example)).toBe(true);
      expect(regexSafetyIssue(regex)).toBeUndefined();
    },
    30_000,
  );

  it.each(vulnerableRegexes.map((c) => [c.name, c] as const))(
    'refuses %s, naming the complexity and an attack string',
    (_, { regex, complexity }) => {
      const issue = regexSafetyIssue(regex);
      expect(issue).toMatch(refusal);
      expect(issue).toContain(`(${complexity}`);
    },
    30_000,
  );

  it('writes the refusal on one line, showing a long attack string as its construction', () => {
    expect(regexSafetyIssue(/(a+)+$/)).toBe(
      `regex can backtrack catastrophically (exponential; attack string "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u0000a"); ${optOut}`,
    );
    expect(regexSafetyIssue(/ValidationError.*missing.*field/)).toBe(
      `regex can backtrack catastrophically (polynomial, degree 3; attack string 'issingValidationError'.repeat(686) + 'issingfield' + 'missing'.repeat(686)); ${optOut}`,
    );
    expect(regexSafetyIssue(/.*.*=.*/)).toBe(
      `regex can backtrack catastrophically (polynomial, degree 3; attack string '\\x00'.repeat(1651) + '\\x00'.repeat(1651) + '\\n='); ${optOut}`,
    );
  });

  it('refuses what recheck alone calls safe: exponential backtracking hidden in a bounded repeat', () => {
    expect(recheck.checkSync('(a|a){1,29}$', '').status).toBe('safe');
    expect(regexSafetyIssue(/(a|a){1,29}$/)).toBe(
      `regex can backtrack catastrophically (exponential, bounded only by its repeat counts; attack string "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u0000a"); ${optOut}`,
    );
    // Small bounds are left to recheck's exact verdict: (\d{1,3}\.?){4} is ≤ 3⁴ paths per start.
    expect(regexSafetyIssue(/(\d{1,3}\.?){4}/)).toBeUndefined();
  });

  it('refuses a cubic regex whose only limit is its repeat counts, as it refuses `.*.*.*x`', () => {
    // Node spends ~17 s on /.{0,100}.{0,100}.{0,100}x/ and 8,192 characters without an `x`.
    expect(regexSafetyIssue(/.*.*.*x/)).toMatch(refusal);
    expect(regexSafetyIssue(/.{0,100}.{0,100}.{0,100}x/)).toBe(
      `regex can backtrack catastrophically (polynomial, degree 4, bounded only by its repeat counts; attack string '\\x00'.repeat(331) + '\\x00'.repeat(331) + '\\x00'.repeat(331) + '\\nx'); ${optOut}`,
    );
    // Quadratic when widened is accepted, as quadratic is: the 8 KiB text cap bounds it.
    expect(regexSafetyIssue(/\w{1,40}Error: .{0,200}/)).toBeUndefined();
  });

  it('ignores g, y and d, and judges i, m, s and u', () => {
    expect(regexSafetyIssue(/(a+)+$/dgy)).toBe(regexSafetyIssue(/(a+)+$/));
    expect(regexSafetyIssue(/^(\w+)+@/imsu)).toMatch(refusal);
    expect(regexSafetyIssue(/\p{Lu}\p{Ll}+Error/u)).toBeUndefined();
  });
});

describe('regexSafetyIssue: what the checker cannot judge is refused too', () => {
  it('refuses a flag recheck does not know (v)', () => {
    // biome-ignore lint/complexity/useRegexLiterals: TypeScript types a v-flag literal only for ES2024 targets
    expect(regexSafetyIssue(new RegExp('[\\p{L}--\\p{Ll}]+x', 'v'))).toBe(
      `regex could not be verified (the checker does not support the flags "v" (unknown flag)); ${optOut}`,
    );
  });

  it('refuses syntax recheck cannot parse (Annex B: \\u{41} without u is 41 u’s)', () => {
    // biome-ignore lint/complexity/useRegexLiterals: TypeScript refuses \u{…} in a literal without u
    expect(new RegExp('\\u{2}').test('uu')).toBe(true);
    // biome-ignore lint/complexity/useRegexLiterals: as above
    expect(regexSafetyIssue(new RegExp('\\u{41}'))).toBe(
      `regex could not be verified (invalid: parsing failure (at 2)); ${optOut}`,
    );
  });

  it('refuses, and remembers, a regex recheck cannot judge in its time limit', () => {
    const { check, calls } = countingCheck();
    const tiny = createRegexSafetyCheck({ check, timeoutMs: 1 });
    const slow = /ValidationError.*missing.*field/; // ~300 ms with the native binary
    const expected = `regex could not be verified (the check took longer than 1 ms); ${optOut}`;
    expect(tiny(slow)).toBe(expected);
    expect(tiny(slow)).toBe(expected);
    expect(calls).toHaveLength(1);
  });

  it('refuses when the checker throws (recheck missing, its worker failed), and asks again next time', () => {
    let calls = 0;
    const broken = createRegexSafetyCheck({
      check: () => {
        calls++;
        throw new Error("Cannot find module 'recheck'");
      },
    });
    const expected = `regex could not be verified (the checker failed: Cannot find module 'recheck'); ${optOut}`;
    expect(broken(/a+b/)).toBe(expected);
    expect(broken(/a+b/)).toBe(expected);
    expect(calls).toBe(2);
  });
});

describe('regexSafetyIssue: verdicts are cached', () => {
  it('asks recheck once per source and flags', () => {
    const { check, calls } = countingCheck();
    const cached = createRegexSafetyCheck({ check });
    expect(cached(/(a+)+$/)).toMatch(refusal);
    expect(cached(/(a+)+$/)).toMatch(refusal);
    expect(cached(/(a+)+$/gy)).toMatch(refusal); // g and y are not part of the key
    expect(cached(/\d{1,3}(\.\d{1,3}){3}/)).toBeUndefined();
    expect(cached(/\d{1,3}(\.\d{1,3}){3}/)).toBeUndefined();
    expect(cached(/(a+)+$/i)).toMatch(refusal); // other flags, another verdict
    expect(calls).toEqual(['/(a+)+$/', '/\\d{1,3}(\\.\\d{1,3}){3}/', '/(a+)+$/i']);
  });

  it('asks twice for a regex it widens, and remembers both as one verdict', () => {
    const { check, calls } = countingCheck();
    const cached = createRegexSafetyCheck({ check });
    expect(cached(/.{0,80}error/)).toBeUndefined();
    expect(cached(/.{0,80}error/)).toBeUndefined();
    expect(calls).toEqual(['/.{0,80}error/', '/.*error/']);
  });

  it('keeps at most cacheSize verdicts, dropping the least recently used', () => {
    const { check, calls } = countingCheck();
    const small = createRegexSafetyCheck({ check, cacheSize: 2 });
    for (const regex of [/a/, /b/, /a/, /c/, /a/, /b/]) small(regex);
    // a, b asked; a hit; c asked, b dropped; a hit; b asked again.
    expect(calls).toEqual(['/a/', '/b/', '/c/', '/b/']);
  });

  it('loads recheck on the first check, not on import', () => {
    const module = fileURLToPath(new URL('../../src/files/regexSafety.ts', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((file) => /[\\\\/]recheck[\\\\/]/.test(file));
      const { regexSafetyIssue } = await import(${JSON.stringify(module)});
      const before = loaded();
      regexSafetyIssue(/(a+)+$/);
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ before: false, after: true });
  }, 30_000);
});

describe('widenBoundedRepeats', () => {
  it.each([
    ['(a|a){1,29}$', '(a|a)+$'],
    ['.{0,80}error', '.*error'],
    ['[0-9a-f]{8}-[0-9a-f]{12}', '[0-9a-f]{8}-[0-9a-f]+'],
    ['x{40,}', 'x+'],
    ['x{10}?y', 'x+?y'],
    ['\\p{L}{12}', '\\p{L}+'],
    ['\\u{1F600}{0,20}', '\\u{1F600}*'],
    ['(\\d{1,3}\\.?){4}', undefined],
    ['x{3,}', undefined],
    ['\\{1,29}', undefined],
    ['[{1,29}]', undefined],
    ['[\\]{1,29}]', undefined],
    ['x{,29}', undefined],
  ])('%s → %s', (source, widened) => {
    expect(widenBoundedRepeats(source)).toBe(widened);
    if (widened !== undefined) expect(() => new RegExp(widened, 'u')).not.toThrow();
  });

  it(`widens from a bound of ${WIDEN_FROM}`, () => {
    expect(widenBoundedRepeats(`a{1,${WIDEN_FROM - 1}}`)).toBeUndefined();
    expect(widenBoundedRepeats(`a{1,${WIDEN_FROM}}`)).toBe('a+');
  });
});

/**
 * Proof that the refusals are real: each vulnerable regex, run by Node in a child process on
 * its attack input, is still backtracking when the child's 2 s are up (SIGKILL) — while the
 * same child finishes with a safe regex of the corpus on the same input.
 */
describe('the vulnerable regexes really blow up in Node', () => {
  const LIMIT_MS = 2_000;
  // A child that should finish gets more time: on a loaded CI machine Node's own start can
  // take a good part of a second, and what is proved is that it ends, not how fast.
  const FINISH_MS = 10_000;
  // Reads [{ source, flags, input }] on stdin, tests each, prints "done".
  const CHILD = `
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    for (const { source, flags, input } of cases) new RegExp(source, flags).test(input);
    process.stdout.write('done');`;

  interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
  }

  function runChild(cases: { regex: RegExp; input: string }[], timeout: number): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CHILD], {
        timeout,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout }));
      child.stdin.end(
        JSON.stringify(
          cases.map(({ regex, input }) => ({ source: regex.source, flags: regex.flags, input })),
        ),
      );
    });
  }

  /** Runs the jobs, as many at once as there are cores, so no child waits on a busy CPU for long. */
  async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
    const results: T[] = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await (jobs[i] as () => Promise<T>)();
      }
    };
    await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, worker));
    return results;
  }

  const linearSafe = safeRegexes.filter((c) => c.complexity === 'linear');
  const attacks = vulnerableRegexes.map((c) => c.attack(c.blowUpSize));
  const controlOf = (i: number) =>
    linearSafe[(i * 7) % linearSafe.length] as (typeof linearSafe)[0];
  let vulnerableRuns: Run[] = [];
  let controlRuns: Run[] = [];

  beforeAll(async () => {
    const runs = await pool([
      ...vulnerableRegexes.map(
        (c, i) => () => runChild([{ regex: c.regex, input: attacks[i] as string }], LIMIT_MS),
      ),
      ...vulnerableRegexes.map(
        (_, i) => () =>
          runChild([{ regex: controlOf(i).regex, input: attacks[i] as string }], FINISH_MS),
      ),
    ]);
    vulnerableRuns = runs.slice(0, vulnerableRegexes.length);
    controlRuns = runs.slice(vulnerableRegexes.length);
  }, 120_000);

  it.each(vulnerableRegexes.map((c, i) => [c.name, c, i] as const))(
    '%s: killed at the time limit, where a safe regex on the same input finishes',
    (_, c: VulnerableRegexCase, i) => {
      expect(attacks[i]?.length).toBeGreaterThan(0);
      expect(vulnerableRuns[i]).toEqual({ code: null, signal: 'SIGKILL', stdout: '' });
      expect(controlRuns[i], controlOf(i).name).toEqual({ code: 0, signal: null, stdout: 'done' });
      expect(c.complexity).toMatch(/^(exponential|polynomial, degree 3)$/);
    },
  );

  it('the accepted quadratic regexes finish on 8 KiB of their worst input (the text cap bounds them)', async () => {
    const cases = safeRegexes
      .filter((c) => c.complexity === 'quadratic')
      .map(({ regex }) => {
        const diagnostics = recheck.checkSync(regex.source, regex.flags, { maxRepeatCount: 1_000 });
        if (diagnostics.status !== 'vulnerable') throw new Error(`${regex} is not quadratic`);
        expect(diagnostics.complexity).toMatchObject({ type: 'polynomial', degree: 2 });
        // recheck's attack, its pumps repeated to fill 8 KiB.
        const { pumps, suffix } = diagnostics.attack;
        const fixed = pumps.reduce((n, p) => n + p.prefix.length, 0) + suffix.length;
        const perRound = pumps.reduce((n, p) => n + p.pump.length, 0);
        const rounds = Math.floor((8_192 - fixed) / perRound);
        const input = pumps.map((p) => p.prefix + p.pump.repeat(rounds)).join('') + suffix;
        return { regex, input };
      });
    expect(cases.length).toBeGreaterThanOrEqual(5);
    expect(await runChild(cases, FINISH_MS)).toEqual({ code: 0, signal: null, stdout: 'done' });
  }, 60_000);
});
