import { defineConfig } from 'tsup';

// rxjs stays external: a bundled second copy would ignore TestScheduler virtual time and
// the user's own scheduler. The other runtime dependencies are installed beside us.
const external = [
  'rxjs',
  'zod',
  'rxjs-for-await',
  'recheck',
  'yaml',
  '@opentelemetry/api',
  'ioredis',
];

// The main entry is an RxJS core; each subpath is an entry of its own, so that only
// rx-recovery/otel loads @opentelemetry/api, only rx-recovery/files loads zod, the YAML
// parser and the regex checker, only rx-recovery/codegen carries the code repair, only
// rx-recovery/redis speaks to Redis (ioredis, an optional peer), and only
// rx-recovery/dashboard serves a page (node:http).
const entry = {
  index: 'src/index.ts',
  otel: 'src/otel.ts',
  files: 'src/files.ts',
  codegen: 'src/codegen.ts',
  redis: 'src/redis.ts',
  dashboard: 'src/dashboard.ts',
};

export default defineConfig([
  {
    // ESM, one file per module (not bundled): with "sideEffects": false a user's bundler
    // drops every module a program does not import, so `import { retryBackoff }` ships the
    // retry operator and its few helpers, nothing else. A bundled file would hoist every
    // module into one scope, where any top-level call keeps its dependencies alive.
    entry: ['src/**/*.ts'],
    outDir: 'dist/esm',
    format: ['esm'],
    bundle: false,
    sourcemap: true,
    target: 'node20',
  },
  {
    // CommonJS for require(), bundled per entry, with its declarations (.d.cts).
    entry,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    external,
  },
  {
    // The ESM declarations (.d.ts) beside them.
    entry,
    format: ['esm'],
    dts: { only: true },
    target: 'node20',
    external,
  },
  {
    // The `rx-recovery` bin: the demo, classify, validate.
    entry: { cli: 'cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    external,
  },
]);
