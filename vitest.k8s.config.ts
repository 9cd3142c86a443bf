import { defineConfig } from 'vitest/config';

// The stack on the Kubernetes cluster KUBECONFIG names (npm run test:k8s): one file, one test at a time, never beside
// the compose or Swarm suites, since all of them load the same cores.
export default defineConfig({
  test: {
    include: ['e2e/kubernetes/**/*.k8s.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // The first apply pulls or unpacks images, runs the migrate Job and waits for every rollout.
    hookTimeout: 20 * 60_000,
    testTimeout: 5 * 60_000,
  },
});
