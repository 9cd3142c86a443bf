import { defineConfig } from 'vitest/config';

// testcontainers' reaper (npm run test:reaper): starts the e2e suite, kills it with SIGKILL once its stack is up, and
// checks that the reaper removes the project. Never beside the other Docker suites: they share the same 2 cores.
export default defineConfig({
  test: {
    include: ['e2e/reaper/**/*.reaper.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // The killed suite builds the API image and starts the stack first: minutes on a 2-core machine.
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
