import { defineConfig } from 'vitest/config';

// The stack on a single-node Docker Swarm (npm run test:swarm): one file, one test at a time, never beside the compose
// e2e tests (npm run test:e2e), since both load the same 2 cores and Swarm changes the engine's mode for the run.
export default defineConfig({
  test: {
    include: ['e2e/swarm/**/*.swarm.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // Building the API image (when missing) and the first deploy take minutes on a 2-core machine.
    hookTimeout: 20 * 60_000,
    testTimeout: 5 * 60_000,
  },
});
