import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { ScenarioResult, VariantResult } from '../harness.js';
import { DIST_ENTRY } from '../lib.js';
import { fmtBytes } from '../report.js';
import { ROOT } from '../spawn.js';

/** One bundle: what a user's entry file imports, resolved the way their bundler would. */
interface Entry {
  readonly name: string;
  /** The user's entry module. */
  readonly contents: string;
  /** Packages left out of the bundle, besides rxjs. */
  readonly external?: readonly string[];
  /** The size budget, min+gzip bytes, when the design sets one. */
  readonly budget?: number;
  /** How many of the largest modules to list. */
  readonly parts?: number;
  readonly note?: string;
}

/** One chunk a program loads later, through a dynamic `import()`. */
export interface LazyChunk {
  /** What it holds: the module it was split at (`codegen/missingAsyncRule`), or `shared`. */
  readonly name: string;
  readonly minified: number;
  readonly gzipped: number;
  /** Minified bytes by module, as in {@link BundleMeasurement.byModule}. */
  readonly byModule: Readonly<Record<string, number>>;
}

export interface BundleMeasurement {
  /**
   * What the program loads at start — the entry chunk and every chunk it imports statically —
   * in minified bytes. The budgets apply to this.
   */
  readonly minified: number;
  /** The same, gzipped (level 9), each file on its own, summed. */
  readonly gzipped: number;
  /** Minified bytes by module: a path under dist/esm/ without `.js`, or a package name. */
  readonly byModule: Readonly<Record<string, number>>;
  /**
   * The chunks fetched only when the program reaches a dynamic `import()` (the orchestrator's
   * built-in correction): not loaded at start, not counted in the figures above.
   */
  readonly lazy: readonly LazyChunk[];
}

export const BUNDLE_RETRY_BACKOFF = 'retryBackoff only';
export const BUNDLE_WITH_RECOVERY = 'withRecovery only';
export const BUNDLE_FULL = 'import * from the main entry';

/** DESIGN.md "Packages and entry points": the size budget, min+gzip, rxjs external. */
export const BUNDLE_BUDGETS: Readonly<Record<string, number>> = {
  [BUNDLE_RETRY_BACKOFF]: 4 * 1024,
  [BUNDLE_WITH_RECOVERY]: 8 * 1024,
  [BUNDLE_FULL]: 16 * 1024,
};

const DIST_ESM = 'dist/esm/';

/**
 * Where an input of the bundle came from: `operators/engine/engine` for a module of the
 * built package, the package name for a dependency, `entry` for the user's file.
 */
function moduleOf(input: string): string {
  const modules = input.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = input.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input);
  }
  if (input.startsWith('<stdin>')) return 'entry';
  if (input.startsWith(DIST_ESM)) return input.slice(DIST_ESM.length).replace(/\.js$/, '');
  return input;
}

function byModule(outputs: readonly Metafile['outputs'][string][]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const key = moduleOf(input);
      totals[key] = (totals[key] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(Object.entries(totals).sort((a, b) => b[1] - a[1]));
}

/** Where esbuild would write the chunks (nothing is written): splitting needs an outdir. */
const OUT_DIR = 'node_modules/.cache/bundle-size';

/**
 * Bundles `contents` as a user's app would (esbuild, minified, ESM, browser platform, tree
 * shaking and code splitting on), with rxjs external, and measures minified and gzipped
 * (level 9) bytes of what the program loads at start, and, apart, of each chunk it loads
 * later through a dynamic `import()`. Splitting is what every app bundler does with a
 * dynamic import (Vite/Rollup, webpack; esbuild with `splitting: true`): without it, esbuild
 * would inline the lazily loaded module and count it as loaded at start.
 * `rx-recovery` is resolved by its name, from the repository root: esbuild's package
 * self-reference, through package.json's `exports` map (the `import` condition:
 * `dist/esm/index.js`, `dist/esm/files.js`, …) with its `"sideEffects": false`, exactly as
 * in a project that installed the package.
 */
export async function bundle(entry: Entry): Promise<BundleMeasurement> {
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts', sourcefile: '<stdin>' },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    treeShaking: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: OUT_DIR,
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['rxjs', 'rxjs/*', ...(entry.external ?? [])],
  });
  // The package must come from the build: a path into src/ would measure something else.
  const strays = Object.keys(result.metafile.inputs).filter(
    (input) => input.startsWith('src/') || input.startsWith('dist/index'),
  );
  if (strays.length > 0) {
    throw new Error(
      `bundle size (${entry.name}): rx-recovery resolved outside ${DIST_ESM}: ${strays.join(', ')}`,
    );
  }
  const { outputs } = result.metafile;
  const code = (path: string) =>
    result.outputFiles.find((file) => file.path === join(ROOT, path))?.contents ?? new Uint8Array();
  const gzipped = (path: string) => gzipSync(code(path), { level: 9 }).byteLength;
  const js = (kind: 'import-statement' | 'dynamic-import') => (path: string) =>
    (outputs[path]?.imports ?? []).filter((i) => i.kind === kind && !i.external).map((i) => i.path);
  /** `roots` and every chunk they import statically (what loads with them). */
  const withStatic = (roots: readonly string[], seen: Set<string>) => {
    const found: string[] = [];
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      found.push(path);
      js('import-statement')(path).forEach(visit);
    };
    roots.forEach(visit);
    return found;
  };
  const start = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === '<stdin>');
  const seen = new Set<string>();
  const initial = withStatic(start === undefined ? [] : [start], seen);
  // Chunks reached through import(), from what loads at start or from another lazy chunk.
  // esbuild also writes chunks for the import() of code it shook out: nothing loads those.
  const lazy: string[] = [];
  const loaded = [...initial];
  for (let i = 0; i < loaded.length; i += 1) {
    const found = withStatic(js('dynamic-import')(loaded[i] as string), seen);
    lazy.push(...found);
    loaded.push(...found);
  }
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    minified: sum(initial.map((path) => code(path).byteLength)),
    gzipped: sum(initial.map(gzipped)),
    byModule: byModule(initial.map((path) => outputs[path] as Metafile['outputs'][string])),
    lazy: lazy.map((path) => {
      const output = outputs[path] as Metafile['outputs'][string];
      return {
        name: output.entryPoint === undefined ? 'shared' : moduleOf(output.entryPoint),
        minified: code(path).byteLength,
        gzipped: gzipped(path),
        byModule: byModule([output]),
      };
    }),
  };
}

const MAIN: readonly Entry[] = [
  {
    name: BUNDLE_RETRY_BACKOFF,
    contents: "export { retryBackoff } from 'rx-recovery';",
    budget: BUNDLE_BUDGETS[BUNDLE_RETRY_BACKOFF] as number,
    parts: 6,
  },
  {
    name: BUNDLE_WITH_RECOVERY,
    contents: "export { withRecovery } from 'rx-recovery';",
    budget: BUNDLE_BUDGETS[BUNDLE_WITH_RECOVERY] as number,
    parts: 6,
  },
  {
    name: BUNDLE_FULL,
    contents: "import * as recovery from 'rx-recovery';\nexport { recovery };",
    budget: BUNDLE_BUDGETS[BUNDLE_FULL] as number,
    parts: 6,
  },
];

/** The subpaths, for information: they have no budget. */
const SUBPATHS: readonly Entry[] = [
  {
    name: 'rx-recovery/files, zod and yaml bundled',
    contents: "import * as files from 'rx-recovery/files';\nexport { files };",
    external: ['node:*'],
    note: 'recheck is never bundled: it is loaded through createRequire on the first check of a pattern file (2.9 MB of JS, Node only); node: built-ins are left to the platform',
  },
  {
    name: 'rx-recovery/files, zod and yaml external',
    contents: "import * as files from 'rx-recovery/files';\nexport { files };",
    external: ['node:*', 'zod', 'zod/*', 'yaml'],
    note: 'our code (and what it pulls from the main entry) alone',
  },
  {
    name: 'rx-recovery/codegen',
    contents: "import * as codegen from 'rx-recovery/codegen';\nexport { codegen };",
    note: 'no dependency of its own',
  },
  {
    name: 'rx-recovery/otel, @opentelemetry/api external',
    contents: "import * as otel from 'rx-recovery/otel';\nexport { otel };",
    external: ['@opentelemetry/api'],
    note: '@opentelemetry/api is an optional peer: the app has its own copy',
  },
];

const PEERS: readonly Entry[] = [
  { name: 'backoff-rxjs retryBackoff', contents: "export { retryBackoff } from 'backoff-rxjs';" },
  {
    name: 'cockatiel retry + handleAll + ExponentialBackoff',
    contents: "export { retry, handleAll, ExponentialBackoff } from 'cockatiel';",
  },
  { name: 'p-retry', contents: "export { default } from 'p-retry';" },
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function sizeResult(entry: Entry, m: BundleMeasurement): Omit<VariantResult, 'ratio'> {
  const parts = Object.entries(m.byModule).filter(([key]) => key !== 'entry');
  const top = parts
    .slice(0, entry.parts ?? 4)
    .map(([key, bytes]) => `${key}: ${fmtBytes(bytes)}`)
    .join(', ');
  const more = parts.length > (entry.parts ?? 4) ? ` (+${parts.length - (entry.parts ?? 4)})` : '';
  return {
    name: entry.name,
    median: m.gzipped,
    min: null,
    max: null,
    ...(entry.note === undefined ? {} : { note: entry.note }),
    extra: {
      minified: fmtBytes(m.minified),
      minifiedBytes: m.minified,
      gzipped: fmtBytes(m.gzipped),
      ...(entry.budget === undefined
        ? {}
        : {
            budget: `≤ ${fmtBytes(entry.budget)}`,
            budgetBytes: entry.budget,
            ofBudget: `${Math.round((m.gzipped / entry.budget) * 100)}%`,
          }),
      largest: `${top}${more}`,
      modules: m.byModule,
      ...(m.lazy.length === 0
        ? {}
        : {
            lazy: m.lazy
              .map(
                ({ name, gzipped, minified }) =>
                  `${name}: ${fmtBytes(gzipped)} gz (${fmtBytes(minified)} min)`,
              )
              .join(', '),
            lazyChunks: m.lazy,
          }),
    },
  };
}

function ratios(rows: Omit<VariantResult, 'ratio'>[], baseline: string): VariantResult[] {
  const base = rows.find((r) => r.name === baseline)?.median ?? null;
  return rows.map((r) => ({
    ...r,
    ratio: base === null || r.median === null ? null : r.median / base,
  }));
}

/**
 * Bundle size, min+gzip, of three user programs against the built package — `retryBackoff`
 * only, `withRecovery` only, `import *` from the main entry — with their budgets, the
 * subpaths for information, and the peers: what each loads at start, and apart the chunks
 * it loads later (dynamic `import()`). esbuild tree-shaken and code-split, rxjs external;
 * `rx-recovery` resolved by name through package.json `exports` (so `dist/esm/*.js`, one
 * file per module, with `"sideEffects": false`). The largest modules of each bundle show
 * what to trim.
 */
export async function bundleSize(): Promise<ScenarioResult[]> {
  const dist = join(ROOT, DIST_ENTRY);
  const notes: string[] = [];
  if (!existsSync(dist)) {
    // Building writes only dist/.
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    if (built.status !== 0) notes.push('`npm run build` failed: no rx-recovery rows.');
    else notes.push('dist/ was missing: built it with `npm run build`.');
  }
  if (existsSync(dist) && statSync(dist).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    notes.push(
      `**dist/ is older than src/**: these rows measure the last build; run \`npm run build\` first for current numbers.`,
    );
  }
  const results: ScenarioResult[] = [];
  if (existsSync(dist)) {
    const rows = await Promise.all(
      [...MAIN, ...SUBPATHS].map(async (entry) => sizeResult(entry, await bundle(entry))),
    );
    results.push({
      id: 'bundle-size/dist',
      title: `Bundle size, min+gzip, esbuild tree-shaken, rxjs external — the built package (${DIST_ENTRY} and its subpaths)`,
      unit: 'B, min+gzip',
      baseline: null,
      variants: rows.map((r) => ({ ...r, ratio: null })),
      spread: false,
      columns: [
        { key: 'minified', title: 'minified' },
        { key: 'budget', title: 'budget' },
        { key: 'ofBudget', title: 'of budget' },
        { key: 'largest', title: 'largest modules (minified bytes)' },
        { key: 'lazy', title: 'loaded later (not in the budget)' },
      ],
      notes: [
        'A user\'s program, bundled with esbuild --bundle --minify --splitting --format=esm --platform=browser --target=es2022, rxjs external, gzip level 9. `rx-recovery` is resolved by its name through package.json `exports` (the `import` condition: dist/esm/index.js, one file per module) with `"sideEffects": false`, so unused modules drop out as they would in an app. Runtime dependencies (rxjs-for-await; zod and yaml in rx-recovery/files) are bundled unless the row says otherwise.',
        'The three programs: `export { retryBackoff } from "rx-recovery"`, `export { withRecovery } from "rx-recovery"`, `import * as recovery from "rx-recovery"; export { recovery }`. Budgets from DESIGN.md (4 KB = 4,096 B, 8 KB = 8,192 B, 16 KB = 16,384 B).',
        'The size and the budget are what the program loads at start: the entry chunk and every chunk it imports statically (each gzipped on its own, summed). **"loaded later"** lists, apart, the chunks the program fetches only when it reaches a dynamic `import()`: `codegen/missingAsyncRule` is the built-in correction of `ErrorRecoveryOrchestrator` (the `missing_async_keyword` rule and the `repairMissingAsync` code repair), fetched when the first orchestrator with `builtInCorrections` (the default) is made, never by a program without one. Every app bundler splits there (Vite/Rollup, webpack, esbuild with `splitting`); a program that never makes an orchestrator never loads that chunk (esbuild still writes it for the programs above that shake the orchestrator out, but nothing imports it there, so it is not listed).',
        '"largest modules": minified bytes each module (a path under dist/esm/, or a dependency) leaves in the bundle, from esbuild\'s metafile, before gzip; "(+n)" counts the modules not listed. results.json has every module of every row (`extra.modules`).',
        ...notes,
      ],
    });
  } else {
    results.push({
      id: 'bundle-size/dist',
      title: 'Bundle size — the built package',
      unit: 'B, min+gzip',
      baseline: null,
      variants: [],
      notes,
    });
  }
  const peers = await Promise.all(
    PEERS.map(async (entry) => sizeResult(entry, await bundle(entry))),
  );
  const peerBaseline = PEERS[0]?.name as string;
  results.push({
    id: 'bundle-size/peers',
    title: 'Bundle size of peers, min+gzip, same settings',
    unit: 'B, min+gzip',
    baseline: peerBaseline,
    variants: ratios(peers, peerBaseline),
    spread: false,
    columns: [
      { key: 'minified', title: 'minified' },
      { key: 'largest', title: 'largest parts (minified)' },
    ],
  });
  return results;
}
