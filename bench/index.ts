/**
 * rx-recovery benchmarks against peers: `npm run bench` (full, about a minute or two) or
 * `npm run bench -- --quick` (seconds; CI runs it so the code does not rot, and asserts
 * nothing about speed). Markdown tables go to stdout, progress to stderr, and every figure
 * to bench/results.json (bench/results.quick.json for --quick). See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchConfig, machine } from './config.js';
import type { ScenarioResult, VariantResult } from './harness.js';
import { LIBRARY } from './lib.js';
import {
  fmt,
  fmtBytes,
  fmtRatio,
  scenarioTable,
  type TargetCheck,
  targetsTable,
} from './report.js';
import {
  BUNDLE_BUDGETS,
  BUNDLE_FULL,
  BUNDLE_RETRY_BACKOFF,
  BUNDLE_WITH_RECOVERY,
  bundleSize,
} from './scenarios/bundleSize.js';
import { CLASSIFIER, classification, NAIVE, REGEX_ALONE } from './scenarios/classification.js';
import {
  BUILD_BASELINE,
  BUILD_RETRY_BACKOFF,
  BUILD_WITH_RECOVERY,
  construction,
} from './scenarios/construction.js';
import { deepFailure } from './scenarios/deepFailure.js';
import {
  FAILURE_BASELINE,
  FAILURE_FLOOR,
  FAILURE_HUB_OBSERVED,
  FAILURE_HUB_UNOBSERVED,
  FAILURE_NO_HUB,
  FAILURE_P_RETRY,
  failurePath,
} from './scenarios/failurePath.js';
import {
  BREAKER_AWAIT_ALONE,
  BREAKER_COCKATIEL,
  BREAKER_ONE_OPERATOR,
  BREAKER_OPOSSUM,
  BREAKER_OURS,
  BREAKER_PLAIN,
  FLEET_HAPPY_RXJS_RETRY,
  FLEET_HAPPY_WITH_RECOVERY,
  fleetScenario,
} from './scenarios/fleet.js';
import {
  HAPPY_BACKOFF_RXJS,
  HAPPY_RXJS_RETRY,
  HAPPY_WITH_RECOVERY,
  happyPath,
} from './scenarios/happyPath.js';
import { memory } from './scenarios/memory.js';
import {
  REDIS_CALL_MEMORY,
  REDIS_CALL_STORE,
  REDIS_OPS_FACTOR,
  REDIS_RATE_BOUND,
  REDIS_RATE_CALLS,
  REDIS_RATE_OPS,
  redisScenario,
} from './scenarios/redis.js';
import { ROOT } from './spawn.js';

const SCENARIOS = [
  'happy',
  'failure',
  'construction',
  'classification',
  'fleet',
  'redis',
  'deep',
  'memory',
  'bundle',
] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

/** The ids of a scenario's tables are its prefix, or start with the prefix and a `/`. */
const ID_PREFIX: Readonly<Record<ScenarioKey, string>> = {
  happy: 'happy-path',
  failure: 'failure-path',
  construction: 'pipe-construction',
  classification: 'classification',
  fleet: 'fleet',
  redis: 'redis',
  deep: 'deep-synchronous-failure',
  memory: 'memory',
  bundle: 'bundle-size',
};

/** Which scenario a table (a result's `id`) belongs to. */
function scenarioOf(id: string): ScenarioKey | undefined {
  return SCENARIOS.find((key) => id === ID_PREFIX[key] || id.startsWith(`${ID_PREFIX[key]}/`));
}

function parseArgs(argv: readonly string[]): { quick: boolean; only: Set<ScenarioKey> } {
  let quick = false;
  let only = new Set<ScenarioKey>(SCENARIOS);
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--lib=dist' || arg === '--lib=src') {
      // read by bench/lib.ts when it loads
    } else if (arg.startsWith('--only=')) {
      const wanted = arg.slice('--only='.length).split(',');
      for (const name of wanted) {
        if (!(SCENARIOS as readonly string[]).includes(name)) {
          throw new Error(`--only: unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);
        }
      }
      only = new Set(wanted as ScenarioKey[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `usage: npm run bench [-- --quick] [--lib=src|dist] [--only=${SCENARIOS.join(',')}]\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}; try --help`);
  }
  return { quick, only };
}

function version(pkg: string): string {
  const json = JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8'));
  return (json as { version: string }).version;
}

function find(scenarios: readonly ScenarioResult[], id: string, variant: string) {
  return scenarios.find((s) => s.id === id)?.variants.find((v) => v.name === variant);
}

/** `2.32× faster` or, below 1, `4.45× slower`. */
function faster(ratio: number): string {
  return ratio >= 1 ? `${fmtRatio(ratio)} faster` : `${fmtRatio(1 / ratio)} slower`;
}

/** `a.median / b.median`, or null. */
function quotient(a: VariantResult | undefined, b: VariantResult | undefined): number | null {
  if (a?.median == null || b?.median == null || b.median === 0) return null;
  return a.median / b.median;
}

function check(
  target: string,
  value: number | null,
  met: (value: number) => boolean,
  measured: (value: number) => string,
): TargetCheck {
  return value === null
    ? { target, measured: 'not measured in this run', met: null }
    : { target, measured: measured(value), met: met(value) };
}

/** The redis scenario's two targets: the per-call cost, and operations per second. */
function redisTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const callTarget =
    'redis: a closed circuitBreaker call with the Redis store ≤ 1.2× the same breaker in memory';
  const opsTarget = `redis: operations/s at 10,000 breaker calls/s ≤ ${REDIS_OPS_FACTOR}× the flush-rate bound (1000 / flushMs × objects × scripts per flush)`;
  const skippedRedis = scenarios.find(
    (s) => scenarioOf(s.id) === 'redis' && s.variants.length === 0,
  );
  if (skippedRedis !== undefined) {
    const measured = skippedRedis.notes?.[0] ?? 'not measured in this run';
    return [
      { target: callTarget, measured, met: null },
      { target: opsTarget, measured, met: null },
    ];
  }
  const call = (name: string) => find(scenarios, 'redis/breaker-call', name);
  const inMemory = call(REDIS_CALL_MEMORY);
  const stored = call(REDIS_CALL_STORE);
  const rate = (name: string) => find(scenarios, 'redis/operations', name);
  const ops = rate(REDIS_RATE_OPS);
  const bound = rate(REDIS_RATE_BOUND);
  const calls = rate(REDIS_RATE_CALLS);
  return [
    check(
      callTarget,
      quotient(stored, inMemory),
      (r) => r <= 1.2,
      (r) => `${fmt(stored?.median)} vs ${fmt(inMemory?.median)} ns/call: ${fmtRatio(r)}`,
    ),
    check(
      opsTarget,
      quotient(ops, bound),
      (r) => r <= REDIS_OPS_FACTOR,
      (r) =>
        `${fmt(ops?.median)} operations/s vs the bound ${fmt(bound?.median)}/s (${fmtRatio(r)}), at ${fmt(calls?.median)} calls/s`,
    ),
  ];
}

function targets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const happy = (name: string) => find(scenarios, 'happy-path', name);
  const wr = happy(HAPPY_WITH_RECOVERY);
  const rxRetry = happy(HAPPY_RXJS_RETRY);
  const backoff = happy(HAPPY_BACKOFF_RXJS);
  checks.push(
    check(
      'happy path: withRecovery ≤ 1.0× RxJS retry({ count: 3 }) per value',
      quotient(wr, rxRetry),
      (r) => r <= 1,
      (r) => `${fmt(wr?.median)} vs ${fmt(rxRetry?.median)} ns/value: ${fmtRatio(r)}`,
    ),
    check(
      'happy path: withRecovery ≥ 1.8× faster than backoff-rxjs',
      quotient(backoff, wr),
      (r) => r >= 1.8,
      (r) => `${fmt(backoff?.median)} vs ${fmt(wr?.median)} ns/value: ${faster(r)}`,
    ),
  );
  const failure = (name: string) => find(scenarios, 'failure-path', name);
  const rx = failure(FAILURE_BASELINE);
  const unobserved = failure(FAILURE_HUB_UNOBSERVED);
  const noHub = failure(FAILURE_NO_HUB);
  const observed = failure(FAILURE_HUB_OBSERVED);
  const pRetry = failure(FAILURE_P_RETRY);
  const least = failure(FAILURE_FLOOR);
  // The cheapest a listened-to attempt can be: the engine's own work, plus a clock read and
  // two deliveries through an RxJS Observable.
  const floor = noHub?.median == null || least?.median == null ? null : noHub.median + least.median;
  checks.push(
    check(
      'failure path: a failed attempt through withRecovery without a hub ≤ 2× RxJS synchronous retry',
      quotient(noHub, rx),
      (r) => r <= 2,
      (r) =>
        `${fmt(noHub?.median)} vs ${fmt(rx?.median)} ns/attempt: ${fmtRatio(r)} (with a hub nobody subscribes to: ${fmt(unobserved?.median)} ns, ${fmtRatio(quotient(unobserved, rx))})`,
    ),
    check(
      'failure path: withRecovery with a hub whose signals has a subscriber ≥ 4× cheaper than p-retry',
      quotient(pRetry, observed),
      (r) => r >= 4,
      (r) =>
        `${fmt(pRetry?.median)} vs ${fmt(observed?.median)} ns/attempt: ${faster(r)}` +
        (floor === null || pRetry?.median == null
          ? ''
          : ` (floor: no hub ${fmt(noHub?.median)} + Date.now() and two bare signals through a Subject ${fmt(least?.median)} = ${fmt(floor)} ns, at best ${faster(pRetry.median / floor)})`),
    ),
  );
  const build = (name: string) => find(scenarios, 'pipe-construction', name);
  const buildRx = build(BUILD_BASELINE);
  const buildWr = build(BUILD_WITH_RECOVERY);
  const buildRb = build(BUILD_RETRY_BACKOFF);
  checks.push(
    check(
      'pipe construction: withRecovery() with the default patterns ≤ 10× RxJS retry({ count: 3, delay: 1000 })',
      quotient(buildWr, buildRx),
      (r) => r <= 10,
      (r) => `${fmt(buildWr?.median)} vs ${fmt(buildRx?.median)} ns/build: ${fmtRatio(r)}`,
    ),
    {
      target: 'pipe construction: retryBackoff() against RxJS retry (reported, no target)',
      measured:
        quotient(buildRb, buildRx) === null
          ? 'not measured in this run'
          : `${fmt(buildRb?.median)} vs ${fmt(buildRx?.median)} ns/build: ${fmtRatio(quotient(buildRb, buildRx))}`,
      met: null,
    },
  );
  const classId = (table: string, position: string) =>
    `classification/${table}/${position}`.replaceAll(' ', '-').replaceAll(/[(),]/g, '');
  const bigLast = classId('1,000 generated patterns', 'match last');
  const naive = find(scenarios, bigLast, NAIVE);
  const classifier = find(scenarios, bigLast, CLASSIFIER);
  const defLast = classId('default patterns (6)', 'match last');
  const alone = find(scenarios, defLast, REGEX_ALONE);
  const defClassifier = find(scenarios, defLast, CLASSIFIER);
  const withText = find(scenarios, defLast, 'errorText + the matching regex');
  checks.push(
    check(
      'classification: 1,000 patterns (match last) ≥ 25× faster than a naive first-match loop',
      quotient(naive, classifier),
      (r) => r >= 25,
      (r) => `${fmt(naive?.median)} vs ${fmt(classifier?.median)} ns: ${faster(r)}`,
    ),
    check(
      'classification: default patterns ≤ 1.5× the one matching regex alone',
      quotient(defClassifier, alone),
      (r) => r <= 1.5,
      (r) =>
        `match last: ${fmt(defClassifier?.median)} vs ${fmt(alone?.median)} ns: ${fmtRatio(r)} (vs errorText + that regex, ${fmt(withText?.median)} ns: ${fmtRatio(quotient(defClassifier, withText))})`,
    ),
  );
  const call = (name: string) => find(scenarios, 'fleet/breaker-call', name);
  const ours = call(BREAKER_OURS);
  const cockatiel = call(BREAKER_COCKATIEL);
  const opossum = call(BREAKER_OPOSSUM);
  const plain = call(BREAKER_PLAIN);
  const oneOperator = call(BREAKER_ONE_OPERATOR);
  const awaitAlone = call(BREAKER_AWAIT_ALONE);
  /** What a breaker adds to the call it guards, in ns. */
  const added = (guarded: VariantResult | undefined, bare: VariantResult | undefined) =>
    guarded?.median == null || bare?.median == null ? '?' : fmt(guarded.median - bare.median);
  const skippedFleet = scenarios.find(
    (s) => s.id === 'fleet/breaker-call' && s.variants.length === 0,
  );
  const fleetMissing = (target: string): TargetCheck => ({
    target,
    measured: skippedFleet?.notes?.[0] ?? 'not measured in this run',
    met: null,
  });
  const cheaper = quotient(cockatiel, ours);
  const cheaperOpossum = quotient(opossum, ours);
  checks.push(
    cheaper === null || cheaperOpossum === null
      ? fleetMissing('fleet: a closed circuitBreaker call ≥ 5× cheaper than cockatiel and opossum')
      : {
          target: 'fleet: a closed circuitBreaker call ≥ 5× cheaper than cockatiel and opossum',
          measured:
            `${fmt(ours?.median)} ns/call vs cockatiel ${fmt(cockatiel?.median)} ns (${faster(cheaper)}), opossum ${fmt(opossum?.median)} ns (${faster(cheaperOpossum)}); ` +
            `floor: of(1).pipe(map((x) => x)) ${fmt(oneOperator?.median)} ns; added to the bare call: ours ${added(ours, plain)} ns (map: ${added(oneOperator, plain)}), cockatiel ${added(cockatiel, awaitAlone)}, opossum ${added(opossum, awaitAlone)}`,
          met: cheaper >= 5 && cheaperOpossum >= 5,
        },
  );
  const fleetHappy = (name: string) => find(scenarios, 'fleet/happy-path', name);
  const guarded = fleetHappy(FLEET_HAPPY_WITH_RECOVERY);
  const fleetRx = fleetHappy(FLEET_HAPPY_RXJS_RETRY);
  const happyTarget =
    'fleet: happy path through withRecovery({ breaker, budget }) ≤ 1.5× RxJS retry({ count: 3 }) per value';
  if (guarded !== undefined && guarded.median === null) {
    checks.push({ target: happyTarget, measured: String(guarded.extra?.status), met: null });
  } else if (guarded === undefined) {
    checks.push(fleetMissing(happyTarget));
  } else {
    checks.push(
      check(
        happyTarget,
        quotient(guarded, fleetRx),
        (r) => r <= 1.5,
        (r) => `${fmt(guarded.median)} vs ${fmt(fleetRx?.median)} ns/value: ${fmtRatio(r)}`,
      ),
    );
  }
  checks.push(...redisTargets(scenarios));
  const deep = scenarios.find((s) => s.id === 'deep-synchronous-failure');
  if (deep !== undefined) {
    const ours = deep.variants.filter((v) => !v.name.startsWith('RxJS'));
    const ok = ours.every(
      (v) =>
        String(v.extra?.outcome).startsWith('completed') &&
        v.extra?.queueScheduler === 'works' &&
        v.extra?.asyncScheduler === 'works' &&
        /^(\d+)\/\1$/.test(String(v.extra?.completedRuns)),
    );
    checks.push({
      target:
        'deep synchronous failure: completes, no stack overflow, no hang, no wedged scheduler',
      measured: ours
        .map(
          (v) =>
            `${v.name}: ${v.extra?.outcome}, ${fmt(v.median)} ms (${fmt(v.extra?.nsPerFailure as number)} ns/failure)`,
        )
        .join('; '),
      met: ok,
    });
  } else
    checks.push({
      target: 'deep synchronous failure',
      measured: 'not measured in this run',
      met: null,
    });
  const mem = scenarios.find((s) => s.id === 'memory');
  if (mem !== undefined) {
    const ours = mem.variants.filter((v) => v.name.startsWith('withRecovery'));
    const worst = Math.max(...ours.map((v) => Number(v.extra?.retainedBytes)));
    checks.push({
      target: 'memory: under 1 MB retained after 1,000,000 recoveries',
      measured: ours
        .map((v) => `${v.name}: ${v.extra?.retained} (${fmt(v.median)} B/recovery)`)
        .join('; '),
      met: worst < 1024 * 1024,
    });
  } else checks.push({ target: 'memory', measured: 'not measured in this run', met: null });
  const dist = (name: string) => find(scenarios, 'bundle-size/dist', name);
  for (const [name, what] of [
    [BUNDLE_RETRY_BACKOFF, 'a program importing only retryBackoff'],
    [BUNDLE_WITH_RECOVERY, 'a program importing only withRecovery'],
    [BUNDLE_FULL, 'import * from the main entry'],
  ] as const) {
    const budget = BUNDLE_BUDGETS[name] as number;
    checks.push(
      check(
        `bundle: ${what} ≤ ${budget / 1024} KB min+gzip (rxjs external)`,
        dist(name)?.median ?? null,
        (b) => b <= budget,
        (b) =>
          `${fmtBytes(b)} (${b.toLocaleString('en-US')} B, ${Math.round((b / budget) * 100)}% of the budget)`,
      ),
    );
  }
  return checks;
}

/** What bench/results.json holds: the last full run, and the `--only` runs merged into it since. */
interface ResultsFile {
  readonly generatedAt: string;
  readonly command: string;
  readonly quick: boolean;
  readonly library: string;
  readonly seconds: number;
  readonly machine: unknown;
  readonly versions: unknown;
  readonly config: unknown;
  readonly scenarios: readonly ScenarioResult[];
  readonly targets: readonly TargetCheck[];
  /** `--only` runs since the full run: when, how, and which scenarios they replaced. */
  readonly updates?: readonly {
    readonly generatedAt: string;
    readonly command: string;
    readonly library: string;
    readonly scenarios: readonly ScenarioKey[];
  }[];
}

/** The results file an `--only` run merges into, or undefined when there is none to read. */
function readResults(file: string): ResultsFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
    return Array.isArray(parsed.scenarios) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const config = benchConfig(quick);
  const started = performance.now();
  const host = machine();
  const versions = Object.fromEntries(
    [
      'rxjs',
      'backoff-rxjs',
      'cockatiel',
      'p-retry',
      'opossum',
      'ioredis',
      'tinybench',
      'esbuild',
    ].map((p) => [p, version(p)]),
  );
  const out = (text: string) => process.stdout.write(`${text}\n\n`);
  const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
  out(
    [
      `## rx-recovery benchmarks${quick ? ' (--quick: tiny sizes, figures meaningless)' : ''}`,
      '',
      `Node ${host.node} (V8 ${host.v8}), ${host.platform}, ${host.cpu} × ${host.cores}. ` +
        Object.entries(versions)
          .map(([name, v]) => `${name} ${v}`)
          .join(', ') +
        '.',
      `Library under test: ${LIBRARY}.`,
      `Timings: ${config.timing.rounds} rounds after ${config.timing.warmupRounds} warm-up rounds, variants round-robin; each round is a tinybench run (≥ ${config.timing.minSamples} samples, ${config.timing.timeMs} ms); median and min–max of the round medians.`,
    ].join('\n'),
  );
  const scenarios: ScenarioResult[] = [];
  const show = (key: ScenarioKey, results: ScenarioResult | readonly ScenarioResult[]) => {
    for (const result of Array.isArray(results) ? results : [results]) {
      // --only merges by these ids into results.json: each table must say whose it is.
      if (scenarioOf((result as ScenarioResult).id) !== key) {
        throw new Error(
          `scenario ${key}: table id ${(result as ScenarioResult).id} is not ${ID_PREFIX[key]}[/…]`,
        );
      }
      scenarios.push(result as ScenarioResult);
      out(scenarioTable(result as ScenarioResult));
    }
  };
  type Pending = () => Promise<ScenarioResult | readonly ScenarioResult[]>;
  const children: [ScenarioKey, string, Pending][] = [
    ['deep', 'deep synchronous failure (child processes)', () => deepFailure(config)],
    ['memory', 'memory (child process with --expose-gc)', () => memory(config)],
    ['bundle', 'bundle size (esbuild)', () => bundleSize()],
  ];
  // --quick starts the child-process scenarios at once, beside the in-process ones: its
  // figures mean nothing anyway. A full run times in-process first, then one child at a time.
  const early = new Map(
    quick
      ? children.filter(([key]) => only.has(key)).map(([key, , run]) => [key, run()] as const)
      : [],
  );
  const inProcess: [ScenarioKey, string, Pending][] = [
    ['happy', 'happy path', () => happyPath(config)],
    ['failure', 'failure path', () => failurePath(config)],
    ['construction', 'pipe construction', () => construction(config)],
    ['classification', 'classification', () => classification(config)],
    ['fleet', 'fleet: circuit breaker and retry budget', () => fleetScenario(config)],
    ['redis', 'redis store (a redis-server of its own)', () => redisScenario(config)],
  ];
  for (const [key, label, run] of [...inProcess, ...children]) {
    if (!only.has(key)) continue;
    progress(label);
    show(key, await (early.get(key) ?? run()));
  }
  // --quick figures are not a verdict on anything.
  const checks = targets(scenarios).map((c) => (quick ? { ...c, met: null } : c));
  out(targetsTable(checks));
  const seconds = (performance.now() - started) / 1000;
  const file = join(ROOT, 'bench', quick ? 'results.quick.json' : 'results.json');
  const run = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    library: LIBRARY,
    seconds,
    machine: host,
    versions,
  };
  const order = [...inProcess, ...children].map(([key]) => key);
  const partial = SCENARIOS.some((key) => !only.has(key));
  const previous = partial ? readResults(file) : undefined;
  let results: ResultsFile;
  if (previous === undefined) {
    results = { ...run, config, scenarios, targets: checks };
  } else {
    // --only: this run's scenarios replace theirs in the file; the others stay as the last
    // full run left them, and every target is checked again over the whole set.
    const merged = order.flatMap((key) =>
      only.has(key)
        ? scenarios.filter((s) => scenarioOf(s.id) === key)
        : previous.scenarios.filter((s) => scenarioOf(s.id) === key),
    );
    const update = { ...run, scenarios: order.filter((key) => only.has(key)) };
    results = {
      ...previous,
      scenarios: merged,
      targets: targets(merged).map((c) => (quick ? { ...c, met: null } : c)),
      // Earlier updates of the same scenarios are superseded by this one.
      updates: [
        ...(previous.updates ?? []).filter((u) => u.scenarios.some((key) => !only.has(key))),
        update,
      ],
    };
  }
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  // The repository's formatter checks JSON too: leave the file as `biome format` would.
  spawnSync(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', file], {
    stdio: 'ignore',
  });
  progress(
    `done in ${seconds.toFixed(1)} s; ${previous === undefined ? 'wrote' : `merged ${[...only].join(', ')} into`} ${file}`,
  );
}

await main();
