import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { DockerComposeEnvironment } from 'testcontainers';
import { describeCompose, detectComposeCli, runCompose, type ComposeProject } from './compose-cli.js';
import { projectLeftovers } from './docker.js';

/** The running stack a test talks to: the compose project and HAProxy's published address. */
export interface Stack {
  project: ComposeProject;
  baseUrl: string;
  db: { user: string; password: string; name: string };
  stats: { user: string; password: string };
  demo: { email: string; password: string };
}

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

/** Picks the compose CLI, a free port and fresh passwords for a new project; starts nothing yet. */
export async function prepareStack(root: string, name: string): Promise<Stack> {
  const cli = await detectComposeCli();
  const port = await freePort();
  const secret = randomBytes(6).toString('hex');
  const db = { user: 'recipes', password: `db-${secret}`, name: 'recipes' };
  const stats = { user: 'stats', password: `stats-${secret}` };
  const demo = { email: 'demo@example.com', password: `demo-${secret}` };
  const env = {
    HAPROXY_PORT: String(port),
    HAPROXY_STATS_USER: stats.user,
    HAPROXY_STATS_PASSWORD: stats.password,
    POSTGRES_USER: db.user,
    POSTGRES_PASSWORD: db.password,
    POSTGRES_DB: db.name,
    SEED_PASSWORD: demo.password,
  };
  return { project: { cli, cwd: root, name, env }, baseUrl: `http://127.0.0.1:${port}`, db, stats, demo };
}

/**
 * Builds the API image and starts compose.yaml with `replicas` API containers, through testcontainers.
 * Call stopStack afterwards whether this succeeded or not.
 */
export async function startStack(stack: Stack, replicas: number): Promise<void> {
  const { cli, cwd, name, env } = stack.project;
  console.log(`starting: ${describeCompose(stack.project, ['up', '-d', '--build', '--scale', `app=${replicas}`])}`);
  await new DockerComposeEnvironment(cwd, 'compose.yaml')
    .withProjectName(name)
    .withBuild()
    .withEnvironment(env)
    // 3 minutes for HAProxy's port: it starts only once every replica is healthy, after the image build and the seed.
    .withStartupTimeout(180_000)
    .withClientOptions({
      ...(cli.standalone ? { executable: { standalone: true } } : {}),
      commandOptions: ['--scale', `app=${replicas}`],
    })
    .up();
}

/** Sets the number of API replicas the way an operator would, leaving every other container as it is. */
export async function scaleApp(stack: Stack, replicas: number): Promise<void> {
  await runCompose(stack.project, ['up', '-d', '--no-recreate', '--scale', `app=${replicas}`], 5 * 60_000);
}

/** Removes the project's containers, network and volumes; throws if any of them is still there afterwards. */
export async function stopStack(project: ComposeProject): Promise<void> {
  await runCompose(project, ['down', '--volumes', '--remove-orphans', '--timeout', '10'], 5 * 60_000);
  const left = await projectLeftovers(project.name);
  if (left.length > 0) throw new Error(`compose project ${project.name} left behind: ${left.join('; ')}`);
}
