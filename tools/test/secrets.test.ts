import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../k6/lib/demo.js';
import { SECRET_NAMES, temporarySecrets, writeSecrets } from '../stack/secrets.js';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'recipes-secrets-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeSecrets', () => {
  it('writes every secret: given values, random hex passwords and the demo seed password otherwise', async () => {
    const dir = join(root, 'secrets');
    const values = await writeSecrets(dir, { haproxy_stats_password: 'stats-given' });
    expect(values.haproxy_stats_password).toBe('stats-given');
    expect(values.seed_password).toBe(DEFAULT_DEMO_PASSWORD);
    expect(values.db_password).toMatch(/^[0-9a-f]{48}$/);
    for (const name of SECRET_NAMES) expect(await readFile(join(dir, name), 'utf8'), name).toBe(values[name]);
  });

  it('makes the files world-readable (compose bind-mounts them as they are) inside a folder only its owner enters', async () => {
    const dir = join(root, 'secrets');
    const previous = process.umask(0o077);
    try {
      await writeSecrets(dir);
    } finally {
      process.umask(previous);
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const name of SECRET_NAMES) expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o644);
  });

  it('keeps files already there, and refuses a given value that differs from its file', async () => {
    const dir = join(root, 'secrets');
    const first = await writeSecrets(dir);
    expect(await writeSecrets(dir)).toEqual(first);
    await expect(writeSecrets(dir, { db_password: `${first.db_password}-other` })).rejects.toThrow(/holds another db_password/);
  });
});

describe('temporarySecrets', () => {
  it('writes a fresh folder and removes it again', async () => {
    const secrets = await temporarySecrets('recipes-test', { seed_password: 'demo-fresh' });
    expect(await readFile(join(secrets.dir, 'seed_password'), 'utf8')).toBe('demo-fresh');
    await secrets.remove();
    await expect(stat(secrets.dir)).rejects.toThrow(/ENOENT/);
  });
});
