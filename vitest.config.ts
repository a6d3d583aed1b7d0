import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/fastCheckSeed.ts'],
    // A real redis-server for test/redis (Debian's package): started once, on a free
    // loopback port, given to the suites with inject('redisPort').
    globalSetup: ['test/redis/globalSetup.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
