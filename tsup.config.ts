import { defineConfig } from 'tsup';

// rxjs stays external: a bundled second copy would ignore TestScheduler virtual time and
// the user's own scheduler. zod and rxjs-for-await are dependencies, installed beside us.
const external = ['rxjs', 'zod', 'rxjs-for-await', 'safe-regex2', 'yaml', '@opentelemetry/api'];

export default defineConfig([
  {
    // otel and files are entries of their own, so that only rx-recovery/otel loads
    // @opentelemetry/api and only rx-recovery/files loads the YAML parser.
    entry: { index: 'src/index.ts', otel: 'src/otel.ts', files: 'src/files.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    external,
  },
  {
    // The `rx-recovery` bin: the demo, classify and validate.
    entry: { cli: 'cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    external,
  },
]);
