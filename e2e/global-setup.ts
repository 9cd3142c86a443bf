import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import {
  ComposeProject,
  demoUserSeededWith,
  detectComposeCli,
  parseComposeCli,
  projectLeftovers,
  temporarySecrets,
  waitForRouting,
  type TemporarySecrets,
} from '../tools/stack/index.js';
import type { StackInfo } from './support/stack.js';

// The whole stack from compose.yaml, reached only through HAProxy's published port:
//   127.0.0.1:<free port> -> haproxy -> app x3 -> pgbouncer -> postgres
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPLICAS = 3;
// Each replica becomes healthy after the image build and the seed; HAProxy then needs 2 checks 1 s apart.
const ROUTING_TIMEOUT_MS = 2 * 60_000;

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
async function describeStack(): Promise<{ info: StackInfo; secrets: TemporarySecrets }> {
  // E2E_COMPOSE picks the compose command ("docker compose" or "docker-compose"); by default v2 when present.
  const cli = process.env.E2E_COMPOSE ? parseComposeCli(process.env.E2E_COMPOSE) : await detectComposeCli();
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
  const info: StackInfo = {
    cli,
    cwd: ROOT,
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

/** Builds the API image, brings the stack up once for every e2e file, and takes it down (volumes too) at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { info, secrets } = await describeStack();
  const compose = new ComposeProject({ cli: info.cli, name: info.project, cwd: info.cwd, env: info.env });
  const down = async (): Promise<void> => {
    // Runs after failures too: nothing of the project (containers, networks, data volume, secret files) may outlive
    // the suite.
    await compose.down().finally(() => secrets.remove());
    const left = await projectLeftovers(info.project);
    if (left.length > 0) throw new Error(`compose project ${info.project} left behind: ${left.join('; ')}`);
  };
  console.log(`e2e: ${compose.describe(compose.upArgs(REPLICAS, true))}`);
  try {
    await compose.up(REPLICAS);
    await waitForRouting(info.baseUrl, REPLICAS, { timeoutMs: ROUTING_TIMEOUT_MS });
  } catch (error) {
    await down().catch((downError: unknown) => console.error(String(downError)));
    throw error;
  }
  project.provide('stack', info);
  return down;
}
