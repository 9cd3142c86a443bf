import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { demoUserSeededWith, projectLeftovers } from '../tools/stack/index.js';
import { containerName, stackEnvironment, type StackInfo } from './support/stack.js';

// The whole stack from compose.yaml, brought up by testcontainers (Compose v2) and reached only through HAProxy:
//   127.0.0.1:<free port> -> haproxy -> app x3 -> pgbouncer -> postgres
const REPLICAS = 3;
/** Printed once the stack is up, before any test runs (the reaper check waits for it). */
export const STACK_UP = 'stack up and routing:';

/** A port that is free on 127.0.0.1 right now, for HAProxy to publish on. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Fresh passwords and a free port for a new project, so the run never touches a stack started by hand. */
async function describeStack(): Promise<Omit<StackInfo, 'network'>> {
  const port = await freePort();
  const secret = randomBytes(6).toString('hex');
  const db = { user: 'recipes', password: `db-${secret}`, name: 'recipes' };
  const stats = { user: 'stats', password: `stats-${secret}` };
  const demo = demoUserSeededWith(`demo-${secret}`);
  return {
    project: `recipes-e2e-${randomBytes(4).toString('hex')}`,
    env: {
      HAPROXY_PORT: String(port),
      HAPROXY_STATS_USER: stats.user,
      HAPROXY_STATS_PASSWORD: stats.password,
      POSTGRES_USER: db.user,
      POSTGRES_PASSWORD: db.password,
      POSTGRES_DB: db.name,
      SEED_PASSWORD: demo.password,
    },
    baseUrl: `http://127.0.0.1:${port}`,
    replicas: REPLICAS,
    db,
    stats,
    demo,
  };
}

/**
 * Builds the API image and brings the stack up once for every e2e file; takes it down, volumes too, at the end. If
 * this process dies instead (killed, crashed), testcontainers' reaper removes the project once it is gone.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The suite once ran on either compose; a v1 run asked for now would silently be a v2 run.
  const asked = process.env.E2E_COMPOSE?.trim();
  if (asked && asked !== 'docker compose') {
    throw new Error(`E2E_COMPOSE=${asked}: the e2e suite runs on Compose v2 (docker compose) through testcontainers; Compose v1 is covered by npm run bench -- --compose-cmd docker-compose`);
  }
  const info = await describeStack();
  console.log(`e2e: compose.yaml as project ${info.project} through testcontainers (docker compose up --build, ${REPLICAS} API replicas)`);
  // up() takes the project down itself when a wait strategy fails.
  const environment = await stackEnvironment(info, REPLICAS).withBuild().up();
  const haproxyNetworks = environment.getContainer(containerName('haproxy')).getNetworkNames();
  if (haproxyNetworks.length !== 1 || haproxyNetworks[0] === undefined) {
    await environment.down({ removeVolumes: true });
    throw new Error(`expected HAProxy on one network, found ${haproxyNetworks.join(', ') || 'none'}`);
  }
  project.provide('stack', { ...info, network: haproxyNetworks[0] });
  console.log(`e2e: ${STACK_UP} ${info.project}`);
  return async () => {
    // Runs after failures too: nothing of the project (containers, network, data volume) may outlive the suite.
    await environment.down({ removeVolumes: true });
    const left = await projectLeftovers(info.project);
    if (left.length > 0) throw new Error(`compose project ${info.project} left behind: ${left.join('; ')}`);
  };
}
