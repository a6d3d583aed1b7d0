import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { ScenarioResult, VariantResult } from '../harness.js';
import { fmtBytes } from '../report.js';
import { ROOT } from '../spawn.js';

/** One bundle: what a user's entry file imports, resolved the way their bundler would. */
interface Entry {
  readonly name: string;
  /** The user's entry module. */
  readonly contents: string;
  /** Packages left out of the bundle, besides rxjs. */
  readonly external?: readonly string[];
  readonly note?: string;
}

export interface BundleMeasurement {
  readonly minified: number;
  readonly gzipped: number;
  /** Minified bytes by where they came from: `rx-recovery` or a package name. */
  readonly byOrigin: Readonly<Record<string, number>>;
}

function origin(input: string): string {
  const modules = input.lastIndexOf('node_modules/');
  if (modules < 0) return input.startsWith('<stdin>') ? 'entry' : 'rx-recovery';
  const rest = input.slice(modules + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input);
}

function byOrigin(metafile: Metafile): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = origin(input);
      totals[key] = (totals[key] ?? 0) + bytesInOutput;
    }
  }
  return totals;
}

/**
 * Bundles `contents` as a user's app would (esbuild, minified, ESM, browser platform, tree
 * shaking on), with rxjs external, and measures minified and gzipped (level 9) bytes.
 * `rx-recovery` resolves to `target`: the built `dist/index.js` or `src/index.ts`.
 */
export async function bundle(entry: Entry, target: string): Promise<BundleMeasurement> {
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    alias: { 'rx-recovery': target },
    external: ['rxjs', 'rxjs/*', ...(entry.external ?? [])],
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    byOrigin: byOrigin(result.metafile),
  };
}

const ZOD = ['zod', 'zod/*'];

export const FULL_WITH_ZOD = 'full import, with zod';
export const RETRY_BACKOFF_WITH_ZOD = 'retryBackoff alone, with zod';

const ENTRIES: readonly Entry[] = [
  { name: FULL_WITH_ZOD, contents: "export * from 'rx-recovery';" },
  { name: 'full import, zod external', contents: "export * from 'rx-recovery';", external: ZOD },
  { name: RETRY_BACKOFF_WITH_ZOD, contents: "export { retryBackoff } from 'rx-recovery';" },
  {
    name: 'retryBackoff alone, zod external',
    contents: "export { retryBackoff } from 'rx-recovery';",
    external: ZOD,
  },
  { name: 'withRecovery alone, with zod', contents: "export { withRecovery } from 'rx-recovery';" },
  {
    name: 'withRecovery alone, zod external',
    contents: "export { withRecovery } from 'rx-recovery';",
    external: ZOD,
  },
];

const PEERS: readonly Entry[] = [
  { name: 'zod (classic, `z`) alone', contents: "export { z } from 'zod';" },
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

function sizeResult(
  name: string,
  m: BundleMeasurement,
  note?: string,
): Omit<VariantResult, 'ratio'> {
  const top = Object.entries(m.byOrigin)
    .filter(([key]) => key !== 'entry')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([key, bytes]) => `${key} ${fmtBytes(bytes)}`)
    .join(', ');
  return {
    name,
    median: m.gzipped,
    min: null,
    max: null,
    ...(note === undefined ? {} : { note }),
    extra: {
      minified: fmtBytes(m.minified),
      minifiedBytes: m.minified,
      gzipped: fmtBytes(m.gzipped),
      byOrigin: top,
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
 * Bundle size, min+gzip: the full import and `retryBackoff` alone, tree-shaken by esbuild
 * with rxjs external, with zod bundled and with zod external; from the built package entry
 * (`dist/index.js`, what npm users get) and from `src/index.ts` (module-level tree shaking).
 */
export async function bundleSize(): Promise<ScenarioResult[]> {
  const dist = join(ROOT, 'dist/index.js');
  const notes: string[] = [];
  if (!existsSync(dist)) {
    // Building writes only dist/.
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    if (built.status !== 0) notes.push('`npm run build` failed: no dist/ rows.');
    else notes.push('dist/ was missing: built it with `npm run build`.');
  }
  if (existsSync(dist) && statSync(dist).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    notes.push(
      '**dist/ is older than src/**: the dist rows measure the last build; run `npm run build` first for current numbers.',
    );
  }
  const results: ScenarioResult[] = [];
  for (const [label, target] of [
    ['built package entry, dist/index.js', dist],
    ['sources, src/index.ts', join(ROOT, 'src/index.ts')],
  ] as const) {
    if (!existsSync(target)) continue;
    const rows = await Promise.all(
      ENTRIES.map(async (entry) => sizeResult(entry.name, await bundle(entry, target), entry.note)),
    );
    results.push({
      id: `bundle-size/${target.endsWith('.ts') ? 'src' : 'dist'}`,
      title: `Bundle size, min+gzip, esbuild tree-shaken, rxjs external — from the ${label}`,
      unit: 'B, min+gzip',
      baseline: FULL_WITH_ZOD,
      variants: ratios(rows, FULL_WITH_ZOD),
      spread: false,
      columns: [
        { key: 'minified', title: 'minified' },
        { key: 'byOrigin', title: 'largest parts (minified)' },
      ],
      notes: [
        'esbuild --bundle --minify --format=esm --platform=browser --target=es2022, rxjs external; "zod external" leaves zod out as well. gzip level 9. Other runtime dependencies are bundled.',
        ...(target.endsWith('.ts')
          ? [
              'From the sources, esbuild drops whole unused modules (package.json has "sideEffects": false); the published single-file dist/index.js allows only statement-level tree shaking.',
            ]
          : notes),
      ],
    });
  }
  const peers = await Promise.all(
    PEERS.map(async (entry) => sizeResult(entry.name, await bundle(entry, dist), entry.note)),
  );
  results.push({
    id: 'bundle-size/peers',
    title: 'Bundle size of peers, min+gzip, same settings',
    unit: 'B, min+gzip',
    baseline: PEERS[1]?.name as string,
    variants: ratios(peers, PEERS[1]?.name as string),
    spread: false,
    columns: [
      { key: 'minified', title: 'minified' },
      { key: 'byOrigin', title: 'largest parts (minified)' },
    ],
  });
  return results;
}
