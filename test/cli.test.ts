import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the built CLI; never the sources. */
function run(...args: string[]) {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status, stdout, stderr };
}

/** Process groups a test started (each detached CLI is a group of its own). */
const groups: number[] = [];
afterEach(() => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Live (not zombie) children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const [state, ppid] = procStat(Number(entry));
      return Number(ppid) === pid && state !== 'Z';
    })
    .map(Number);
}

function alive(pid: number): boolean {
  const [state] = procStat(pid);
  return state !== undefined && state !== 'Z';
}

/** State, parent pid, … of a process; empty when it is gone. */
function procStat(pid: number): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
  expect(existsSync(cli)).toBe(true);
}, 120_000);

describe('rx-recovery demo', () => {
  it('reports every contract as generated, degraded or escalated, consistently', () => {
    const { status, stdout, stderr } = run(
      'demo',
      '--contracts',
      '12',
      '--time-scale',
      '0',
      '--json',
      '--seed',
      '7',
    );
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    const { total, generated, degraded, escalated } = report.contracts;
    expect(total).toBe(12);
    expect(generated + degraded + escalated).toBe(12);
    const { statistics, strategies, escalations } = report;
    expect(statistics.successful + statistics.failed).toBe(statistics.totalRecoveries);
    expect(statistics.escalations).toBe(escalations.length);
    expect(strategies.escalate.attempts).toBe(escalations.length);
    expect(escalated).toBeLessThanOrEqual(escalations.length);
    const sum = (counts: Record<string, number>) =>
      Object.values(counts).reduce((a, b) => a + b, 0);
    // Steps add up to the table's steps; recoveries by strategy add up to the recoveries.
    const steps = sum(statistics.stepsByStrategy);
    expect(sum(statistics.strategiesUsed)).toBe(statistics.totalRecoveries);
    const tableSteps = ['retry', 'alternative', 'degrade', 'correct'].reduce(
      (sum, s) => sum + strategies[s].attempts,
      0,
    );
    expect(steps).toBe(tableSteps);
  });

  it('gives identical JSON for the same seed, and another run for another seed', () => {
    const args = ['demo', '--contracts', '20', '--time-scale', '0', '--json'];
    const first = run(...args, '--seed', '3').stdout;
    expect(run(...args, '--seed', '3').stdout).toBe(first);
    expect(run(...args, '--seed', '4').stdout).not.toBe(first);
  });

  it('prints progress lines and the report when not on a TTY', () => {
    const { status, stdout } = run('demo', '--contracts', '10', '--time-scale', '0');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^rx-recovery demo: 10 contracts/);
    expect(stdout).toMatch(/^10\/10 contracts · \d+ recoveries · \d+ escalations · [\d.]+s$/m);
    expect(stdout).toContain('Recovery by strategy');
    expect(stdout).toMatch(/^Contracts: 10 — \d+ generated, \d+ degraded, \d+ escalated$/m);
    expect(stdout).toContain('Hub statistics:');
  });
});

describe('rx-recovery classify', () => {
  it('names the matching pattern, its plan, the matched text and the runners-up', () => {
    const { status, stdout } = run('classify', 'ValidationError: template rendering failed');
    expect(status).toBe(0);
    expect(stdout).toBe(
      [
        'message:    ValidationError: template rendering failed',
        'pattern:    template_rendering_error (priority 7)',
        'error type: template',
        'plan:       alternative → degrade (maxRetries 3)',
        'matched:    "template rendering failed" at 17',
        'also matching, lower in priority:',
        '  validation_failed (priority 6, validation): "ValidationError"',
        '',
      ].join('\n'),
    );
  });

  it('says when nothing matches', () => {
    expect(run('classify', 'disk full').stdout).toContain('pattern:    none (unknown error)');
  });

  it('classifies against a pattern file', () => {
    const { stdout } = run(
      'classify',
      'HTTP 429 Too Many Requests',
      '--patterns',
      'examples/patterns.json',
    );
    expect(stdout).toContain('pattern:    api_rate_limited (priority 9)');
  });
});

describe('rx-recovery validate', () => {
  it('accepts the example pattern file', () => {
    expect(run('validate', 'examples/patterns.json')).toEqual({
      status: 0,
      stdout: 'examples/patterns.json: 4 valid pattern(s)\n',
      stderr: '',
    });
  });

  it('accepts a JSON file that starts with a byte order mark', () => {
    const { status, stderr } = run('validate', 'test/fixtures/bom.json');
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('accepts the same table in YAML', () => {
    expect(run('validate', 'examples/patterns.yaml')).toEqual({
      status: 0,
      stdout: 'examples/patterns.yaml: 4 valid pattern(s)\n',
      stderr: '',
    });
  });

  it('exits 1 with one line per bad path', () => {
    const { status, stdout, stderr } = run('validate', 'test/fixtures/bad-patterns.json');
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'test/fixtures/bad-patterns.json: patterns[0].match: invalid regular expression: /(429/: Unterminated group',
      'test/fixtures/bad-patterns.json: patterns[1].errorType: must be one of syntax, import, validation, template, quorum, timeout, transient, unknown, got "flaky"',
      'test/fixtures/bad-patterns.json: patterns[1].strategy[1]: must be one of retry, alternative, degrade, correct, escalate, got "pray"',
      'test/fixtures/bad-patterns.json: patterns[1].maxRetries: must be ≥ 0',
      'test/fixtures/bad-patterns.json: patterns[2].maxRetry: unknown option',
      'test/fixtures/bad-patterns.json: patterns[1].id: duplicate id "rate_limited" (first at patterns[0])',
    ]);
  });
});

describe('bad input: one line on stderr, exit code 2, no stack', () => {
  it.each([
    [['frobnicate'], 'rx-recovery: unknown command "frobnicate" (try: rx-recovery help)'],
    [['demo', '--bogus'], 'rx-recovery: unknown option --bogus (try: rx-recovery help)'],
    [['demo', '--contracts', '0'], 'rx-recovery: --contracts must be between 1 and 100000, got 0'],
    [
      ['demo', '--contracts', 'many'],
      'rx-recovery: --contracts must be a whole number, got "many"',
    ],
    [['demo', '--fault-rate', '1.5'], 'rx-recovery: --fault-rate must be between 0 and 1, got 1.5'],
    [
      ['demo', '--concurrency', '2.5'],
      'rx-recovery: --concurrency must be a whole number, got "2.5"',
    ],
    [['demo', '--time-scale', '-1'], "rx-recovery: Option '--time-scale' argument is ambiguous"],
    [['demo', '--patterns', 'x.json'], 'rx-recovery: demo does not take --patterns'],
    [['demo', '--workers', '2'], 'rx-recovery: --workers goes with --fleet'],
    // As --workers is refused without --fleet, the workflow's options are refused with it.
    [
      ['demo', '--fleet', '--json', '--workers', '1', '--callers', '1'],
      'rx-recovery: --json goes with demo, not with demo --fleet',
    ],
    [
      ['demo', '--fleet', '--seed', '3'],
      'rx-recovery: --seed goes with demo, not with demo --fleet',
    ],
    [['classify'], 'rx-recovery: classify takes one message: rx-recovery classify "<message>"'],
    [
      ['classify', 'x', '--patterns', 'missing.json'],
      'rx-recovery: cannot read missing.json: no such file',
    ],
    [
      ['classify', 'x', '--patterns', 'test/fixtures/bad-patterns.json'],
      'rx-recovery: test/fixtures/bad-patterns.json is not a valid pattern file (run: rx-recovery validate test/fixtures/bad-patterns.json)',
    ],
    [
      ['validate'],
      'rx-recovery: validate takes one file: rx-recovery validate <file.json|file.yaml>',
    ],
    [['validate', 'missing.json'], 'rx-recovery: cannot read missing.json: no such file'],
    [['validate', 'test'], 'rx-recovery: cannot read test: it is a directory, not a pattern file'],
    [
      ['validate', 'package-lock.json', 'README.md'],
      'rx-recovery: validate takes one file: rx-recovery validate <file.json|file.yaml>',
    ],
    [
      ['validate', 'README.md'],
      /^rx-recovery: README\.md is not valid JSON at line \d+, column \d+: .+$/,
    ],
    [
      ['validate', 'test/fixtures/bad-syntax.yaml'],
      /^rx-recovery: test\/fixtures\/bad-syntax\.yaml is not valid YAML at line \d, column \d+: .+$/,
    ],
  ])('%j', (args, expected) => {
    const { status, stdout, stderr } = run(...args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toHaveLength(2); // one line, then the final newline
    if (typeof expected === 'string') expect(stderr).toBe(`${expected}\n`);
    else expect(stderr.trim()).toMatch(expected);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names the line and column of a trailing comma, and quotes none of the file', () => {
    // V8 gives no position here, and quotes the file instead: `..."try" },\n  ]\n}"`.
    const file = join(mkdtempSync(join(tmpdir(), 'rx-recovery-cli-')), 'patterns.json');
    writeFileSync(
      file,
      '{\n  "patterns": [\n    { "id": "a", "errorType": "syntax", "match": "x", "strategy": "retry" },\n  ]\n}\n',
    );
    const { status, stdout, stderr } = run('validate', file);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `rx-recovery: ${file} is not valid JSON at line 4, column 3: Unexpected token ']'\n`,
    );
  });

  it('prints the usage for help', () => {
    const { status, stdout } = run('help');
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: rx-recovery <command> [options]');
  });
});

describe('rx-recovery demo --await-human and --fleet, --version', () => {
  it('pauses escalated reviews and resumes them as the scripted reviewer decides', () => {
    const { status, stdout } = run(
      'demo',
      '--contracts',
      '30',
      '--time-scale',
      '0',
      '--json',
      '--await-human',
    );
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as {
      reviews: Array<{ action: string; resumed: boolean; node: string }>;
      contracts: { total: number };
    };
    expect(report.contracts.total).toBe(30);
    expect(report.reviews.length).toBeGreaterThan(0);
    expect(
      report.reviews.every((review) => review.resumed && review.node === 'quorum_review'),
    ).toBe(true);
    expect(report.reviews.map((review) => review.action).slice(0, 3)).toEqual(
      ['value', 'retry', 'abort'].slice(0, report.reviews.length),
    );
  });

  it('prints what reached the service without and with a breaker and a budget', () => {
    const { status, stdout, stderr } = run('demo', '--fleet', '--workers', '1', '--callers', '4');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const whileDown = /of which while it was down\s+(\d+)\s+(\d+)/.exec(stdout);
    expect(whileDown).not.toBeNull();
    const [, plain, guarded] = whileDown as RegExpExecArray;
    expect(Number(guarded)).toBeLessThan(Number(plain) / 4);
    expect(stdout).toMatch(/the protected fleet sent \d+% of the unprotected fleet's load/);
  }, 60_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s ends its worker processes too: none is left running, no stack trace',
    async (signal, code) => {
      // A supervisor or `timeout -s INT` signals the command alone, not its process group.
      const child = spawn(
        process.execPath,
        [cli, 'demo', '--fleet', '--workers', '2', '--callers', '1'],
        {
          cwd: root,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      groups.push(child.pid as number);
      const closed = once(child, 'close');
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/ requests · service /.test(stdout)) resolve(); // the workers are running
        });
      });
      const workers = childrenOf(child.pid as number);
      expect(workers).toHaveLength(2);
      const exited = once(child, 'exit');
      child.kill(signal);
      expect(await exited).toEqual([code, null]);
      const leftover = workers.filter(alive);
      await closed; // every process that holds the CLI's stdout and stderr has ended
      expect({ leftover, stderr }).toEqual({ leftover: [], stderr: '' });
    },
    60_000,
  );

  it('prints its version', () => {
    const { status, stdout } = run('--version');
    expect(status).toBe(0);
    expect(stdout).toBe(`${JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version}\n`);
  });
});

describe('rx-recovery with the new pattern families and the Python dialect', () => {
  it('classifies "read ECONNRESET" as network_transient', () => {
    const { status, stdout } = run('classify', 'read ECONNRESET');
    expect(status).toBe(0);
    expect(stdout).toContain('pattern:    network_transient (priority 3)');
    expect(stdout).toContain('plan:       retry → escalate (maxRetries 3)');
  });

  it.each(['examples/python-patterns.yaml', 'examples/python-patterns.json'])(
    'validates %s, written for the original Python system',
    (file) => {
      expect(run('validate', file)).toMatchObject({
        status: 0,
        stdout: `${file}: 2 valid pattern(s)\n`,
        stderr: '',
      });
    },
  );

  it('classifies with a Python pattern file as the original design did', () => {
    const { status, stdout } = run(
      'classify',
      "ValidationError: missing required field 'email'",
      '--patterns',
      'examples/python-patterns.yaml',
    );
    expect(status).toBe(0);
    expect(stdout).toMatch(/error type: validation/);
    expect(stdout).toMatch(/plan:\s+degrade/);
  });
});

describe('the demo report', () => {
  it('says "1 escalation", not "1 escalations"', async () => {
    const { formatReport } = await import('../cli/demo.js');
    const report = JSON.parse(
      run('demo', '--contracts', '5', '--time-scale', '0', '--json').stdout,
    );
    const one = formatReport(
      { ...report, statistics: { ...report.statistics, escalations: 1 } },
      1000,
    );
    expect(one).toMatch(/; 1 escalation$/m);
    const two = formatReport(
      { ...report, statistics: { ...report.statistics, escalations: 2 } },
      1000,
    );
    expect(two).toMatch(/; 2 escalations$/m);
  });
});
