import { defineConfig } from 'vitest/config';

// End-to-end tests against the real compose stack (npm run test:e2e). They share one compose project, which
// they scale, so they run one file and one test at a time.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // Building the API image and starting the stack takes minutes on a 2-core machine.
    hookTimeout: 15 * 60_000,
    testTimeout: 5 * 60_000,
    env: {
      // Ryuk (testcontainers' reaper) cannot be pulled on machines without a registry; afterAll cleans up instead.
      TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true',
      // compose.yaml publishes HAProxy on 127.0.0.1 only; testcontainers would otherwise probe the Docker bridge
      // gateway when it believes it runs inside a container.
      TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE ?? '127.0.0.1',
    },
  },
});
