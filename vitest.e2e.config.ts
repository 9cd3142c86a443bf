import { defineConfig } from 'vitest/config';

// End-to-end tests against the real compose stack (npm run test:e2e). The global setup brings one compose project
// up for the whole run with testcontainers (Compose v2); the files scale it, so they run one file and one test at a time.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // Building the API image and starting the stack takes minutes on a 2-core machine.
    hookTimeout: 15 * 60_000,
    testTimeout: 5 * 60_000,
  },
});
