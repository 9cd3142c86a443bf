// The stack's passwords as files, one per secret: compose.yaml and deploy/swarm/stack.yaml mount them alike under
// /run/secrets, and every tool that starts a stack writes them here.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DEMO_PASSWORD } from '../../k6/lib/demo.js';

/** The secrets of the stack, by file name under SECRETS_DIR. */
export const SECRET_NAMES = ['db_password', 'seed_password', 'haproxy_stats_password'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
/** The secrets of the stack: file name under SECRETS_DIR -> value. */
export type SecretValues = Record<SecretName, string>;

// Compose without Swarm bind-mounts each file as it is, owner and mode kept (a secret's uid, gid and mode apply on
// Swarm only), and the tiers read them as four different non-root users: the files are world-readable, and the
// folder, 0700, keeps other users of this machine out.
const DIR_MODE = 0o700;
const FILE_MODE = 0o644;

/**
 * Writes the secret files a stack is deployed from, keeping files already there: Swarm secrets cannot change once
 * created. A value given that differs from its file is refused rather than silently ignored; a value neither given
 * nor on disk is random (the seed password is the demo default).
 */
export async function writeSecrets(dir: string, given: Partial<SecretValues> = {}): Promise<SecretValues> {
  await mkdir(dir, { recursive: true });
  // Modes set explicitly: mkdir and writeFile apply the process's umask to theirs.
  await chmod(dir, DIR_MODE);
  // Hex: the database password goes into a URL unescaped (the API's start command builds DATABASE_URL in a shell).
  const defaults: SecretValues = {
    db_password: randomBytes(24).toString('hex'),
    seed_password: DEFAULT_DEMO_PASSWORD,
    haproxy_stats_password: randomBytes(12).toString('hex'),
  };
  const values = { ...defaults };
  for (const name of SECRET_NAMES) {
    const file = join(dir, name);
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    const wanted = given[name];
    if (existing !== undefined && wanted !== undefined && wanted !== existing) {
      throw new Error(`${file} holds another ${name}: Swarm secrets cannot change once deployed (see README, "Docker Swarm")`);
    }
    values[name] = existing ?? wanted ?? defaults[name];
    if (existing === undefined) await writeFile(file, values[name]);
    await chmod(file, FILE_MODE);
  }
  return values;
}

/** Secret files of a stack that lives as long as a test run or a bench: a fresh folder, removed by `remove()`. */
export interface TemporarySecrets {
  dir: string;
  values: SecretValues;
  remove(): Promise<void>;
}

/** Writes `given` (random where missing) into a new folder under the system's temporary folder. */
export async function temporarySecrets(prefix: string, given: Partial<SecretValues> = {}): Promise<TemporarySecrets> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-secrets-`));
  try {
    const values = await writeSecrets(dir, given);
    return { dir, values, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
