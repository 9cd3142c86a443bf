// compose.yaml in the shape of the Swarm and Kubernetes stacks: two networks that keep HAProxy away from the data tier,
// and every password a secret file. npm run test:e2e brings it up and checks both from inside the containers.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_NAMES } from '../../tools/stack/secrets.js';
import { composeServices, composeTopLevel, passwordLeaks, repoRoot, serviceNetworks } from './support/config-files.js';

const compose = composeServices();
const { networks, secrets } = composeTopLevel();

describe('compose.yaml', () => {
  it('puts HAProxy and the API on edge, and the API, PgBouncer, Postgres and migrate on data', () => {
    expect(Object.keys(networks).sort()).toEqual(['data', 'edge']);
    const onNetworks = Object.fromEntries(Object.entries(compose).map(([name, service]) => [name, serviceNetworks(service)]));
    expect(onNetworks).toEqual({
      postgres: ['data'],
      pgbouncer: ['data'],
      migrate: ['data'],
      app: ['data', 'edge'],
      haproxy: ['edge'],
      // The load generator reaches HAProxy by name, as the bench's k6 container does.
      k6: ['edge'],
    });
  });

  it('no password is in an environment: each comes from a secret file the service mounts', () => {
    for (const [name, service] of Object.entries(compose)) expect(passwordLeaks(service), name).toEqual([]);
    expect(Object.keys(secrets).sort()).toEqual([...SECRET_NAMES].sort());
  });

  it('reads the development secret files of dev-secrets/ unless SECRETS_DIR is set, each world-readable for the non-root tiers', () => {
    for (const [name, { file }] of Object.entries(secrets)) {
      expect(file, name).toBe(`./dev-secrets/${name}`);
      // Compose (without Swarm) bind-mounts the file with its own mode; pgbouncer, haproxy and node are not its owner.
      expect(statSync(join(repoRoot, file)).mode & 0o004, `${file} readable by others`).toBe(0o004);
    }
  });
});
