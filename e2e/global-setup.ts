import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { demoUserSeededWith, projectLeftovers, temporarySecrets, type TemporarySecrets } from '../tools/stack/index.js';
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

/**
 * Fresh passwords (as the project's secret files) and a free port for a new project, so the run never touches a stack
 * started by hand.
 */
async function describeStack(): Promise<{ info: Omit<StackInfo, 'network'>; secrets: TemporarySecrets }> {
  const port = await freePort();
  const secret = randomBytes(6).toString('hex');
  const db = { user: 'recipes', password: `db-${secret}`, name: 'recipes' };
  const stats = { user: 'stats', password: `stats-${secret}` };
  const demo = demoUserSeededWith(`demo-${secret}`);
  const project = `recipes-e2e-${randomBytes(4).toString('hex')}`;
  const secrets = await temporarySecrets(project, {
    db_password: db.password,
    seed_password: demo.password,
    haproxy_stats_password: stats.password,
  });
  const info = {
    project,
    env: {
      HAPROXY_PORT: String(port),
      HAPROXY_STATS_USER: stats.user,
      POSTGRES_USER: db.user,
      POSTGRES_DB: db.name,
      SECRETS_DIR: secrets.dir,
    },
    baseUrl: `http://127.0.0.1:${port}`,
    replicas: REPLICAS,
    db,
    stats,
    demo,
  };
  return { info, secrets };
}

/**
 * Builds the API image and brings the stack up once for every e2e file; takes it down, volumes and secret files too,
 * at the end. If this process dies instead (killed, crashed), testcontainers' reaper removes the project once it is
 * gone (the secret files, a few bytes in the temporary folder, stay).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The suite once ran on either compose; a v1 run asked for now would silently be a v2 run.
  const asked = process.env.E2E_COMPOSE?.trim();
  if (asked && asked !== 'docker compose') {
    throw new Error(`E2E_COMPOSE=${asked}: the e2e suite runs on Compose v2 (docker compose) through testcontainers; Compose v1 is covered by npm run bench -- --compose-cmd docker-compose`);
  }
  const { info, secrets } = await describeStack();
  console.log(`e2e: compose.yaml as project ${info.project} through testcontainers (docker compose up --build, ${REPLICAS} API replicas)`);
  const takeDown = async (environment: { down(options: { removeVolumes: boolean }): Promise<unknown> }): Promise<void> => {
    // Runs after failures too: nothing of the project (containers, networks, data volume, secret files) may outlive
    // the suite.
    await environment.down({ removeVolumes: true }).finally(() => secrets.remove());
    const left = await projectLeftovers(info.project);
    if (left.length > 0) throw new Error(`compose project ${info.project} left behind: ${left.join('; ')}`);
  };
  // up() takes the project down itself when a wait strategy fails; the secret files are this setup's to remove.
  const environment = await stackEnvironment(info, REPLICAS)
    .withBuild()
    .up()
    .catch(async (error: unknown) => {
      await secrets.remove();
      throw error;
    });
  const haproxyNetworks = environment.getContainer(containerName('haproxy')).getNetworkNames();
  if (haproxyNetworks.length !== 1 || haproxyNetworks[0] === undefined) {
    await takeDown(environment);
    throw new Error(`expected HAProxy on one network, found ${haproxyNetworks.join(', ') || 'none'}`);
  }
  project.provide('stack', { ...info, network: haproxyNetworks[0] });
  console.log(`e2e: ${STACK_UP} ${info.project}`);
  return () => takeDown(environment);
}
