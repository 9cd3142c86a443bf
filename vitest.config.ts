import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['app/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'tools/test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    globalSetup: ['app/test/global-setup.ts'],
    // Each file gets its own database, so files run in parallel; two workers match the 2-core machines.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
