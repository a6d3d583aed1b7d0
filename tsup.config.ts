import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // rxjs must stay a single shared copy (a bundled one would ignore TestScheduler time).
  external: ['rxjs', 'zod', 'rxjs-for-await'],
});
