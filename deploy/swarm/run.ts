// npm run swarm:up / npm run swarm:down: the stack of deploy/swarm/stack.yaml on this engine's swarm. Orchestration
// only: every operation is in tools/stack/swarm.ts.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_APP_IMAGE,
  DEFAULT_APP_REPLICAS,
  DEFAULT_SECRETS_DIR,
  SwarmStack,
  choosePostgresNode,
  ensureApiImage,
  ensureSwarm,
  leaveSwarmIfInitialisedHere,
  waitForRouting,
  writeSecrets,
} from '../../tools/stack/index.js';

const USAGE = `Usage:
  npm run swarm:up -- [--stack recipes] [--replicas N] [--port 8080]
  npm run swarm:down -- [--stack recipes] [--volumes]

up     joins this engine to a swarm (initialising a single-node one on 127.0.0.1 when it is in none), builds
       ${DEFAULT_APP_IMAGE} when missing (APP_IMAGE names another image), writes the secret files, deploys the stack
       with the migrate job before the API, and waits until HAProxy routes to every API replica; the API runs
       --replicas (or APP_REPLICAS), else as many replicas as it already ran, else ${DEFAULT_APP_REPLICAS}
down   removes the stack; --volumes also deletes its database volume; leaves the swarm when up initialised it

Environment: APP_IMAGE, SECRETS_DIR (default deploy/swarm/secrets), POSTGRES_PASSWORD, SEED_PASSWORD and
HAPROXY_STATS_PASSWORD (taken for new secret files; random or the demo default otherwise), and the variables
stack.yaml reads (POSTGRES_USER, DB_POOL_MAX, LOG_LEVEL, ...).
`;
// After the deploy returns, HAProxy needs a DNS round and 2 checks 1 s apart per replica.
const ROUTING_TIMEOUT_MS = 2 * 60_000;

const step = (text: string): void => console.log(`==> ${text}`);
const announce = (commandLine: string): void => console.log(`    $ ${commandLine}`);

function wholeNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a whole number, not "${text}"`);
  return value;
}

async function up(name: string, replicas: number | undefined, port: string): Promise<void> {
  step('this engine in a swarm');
  const { initialised } = await ensureSwarm(announce);
  if (initialised) console.log('    initialised a single-node swarm; `npm run swarm:down` leaves it again');
  const { labelled } = await choosePostgresNode(announce);
  if (labelled) console.log('    this node holds the Postgres volume from now on (node label recipes-postgres=true)');
  const image = process.env.APP_IMAGE || DEFAULT_APP_IMAGE;
  step(`API image ${image}`);
  await ensureApiImage(image, announce);
  const secretsDir = process.env.SECRETS_DIR || DEFAULT_SECRETS_DIR;
  step(`secret files in ${relative(process.cwd(), secretsDir) || '.'}`);
  await writeSecrets(secretsDir, {
    ...(process.env.POSTGRES_PASSWORD ? { db_password: process.env.POSTGRES_PASSWORD } : {}),
    ...(process.env.SEED_PASSWORD ? { seed_password: process.env.SEED_PASSWORD } : {}),
    ...(process.env.HAPROXY_STATS_PASSWORD ? { haproxy_stats_password: process.env.HAPROXY_STATS_PASSWORD } : {}),
  });
  const stack = new SwarmStack({ name, env: { APP_IMAGE: image, SECRETS_DIR: secretsDir, HAPROXY_PORT: port }, announce });
  step(`stack ${name}: the migrate job first, then the API replicas`);
  const running = await stack.deploy(replicas);
  const baseUrl = `http://127.0.0.1:${await stack.publishedPort()}`;
  step(`waiting for HAProxy at ${baseUrl} to route to ${running} replica(s)`);
  const routing = await waitForRouting(baseUrl, running, { timeoutMs: ROUTING_TIMEOUT_MS });
  console.log(`    routes to ${routing.servedBy.join(', ')}`);
  step(`up: ${baseUrl} (docker stack services ${name}; docker service scale ${stack.service('app')}=N)`);
}

async function down(name: string, volumes: boolean): Promise<void> {
  const stack = new SwarmStack({ name, announce });
  step(`removing stack ${name}${volumes ? ' and its database volume' : ' (the database volume stays; --volumes deletes it)'}`);
  await stack.remove({ volumes });
  const left = await stack.leftovers();
  if (left.length > 0) throw new Error(`stack ${name} left behind: ${left.join('; ')}`);
  if (await leaveSwarmIfInitialisedHere(announce)) step('left the swarm swarm:up initialised');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: 'string', default: 'recipes' },
      replicas: { type: 'string' },
      port: { type: 'string', default: process.env.HAPROXY_PORT || '8080' },
      volumes: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || positionals.length !== 1 || (command !== 'up' && command !== 'down')) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const replicas = values.replicas ?? process.env.APP_REPLICAS;
  if (command === 'up') await up(values.stack, replicas ? wholeNumber(replicas, '--replicas') : undefined, String(wholeNumber(values.port, '--port')));
  else await down(values.stack, values.volumes);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`swarm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
