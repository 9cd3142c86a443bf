import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstClosedFolder, startEmbeddedPostgres } from '../dev/embedded-postgres.js';

const NOBODY = { uid: 65534, gid: 65534 };
// mkdtemp makes the folder with mode 0700: only its owner (the user running the tests) may enter it.
const closed = mkdtempSync(join(tmpdir(), 'recipes-closed-'));

afterAll(() => rmSync(closed, { recursive: true, force: true }));

describe('the folders the PostgreSQL account must pass through', () => {
  it('names the first one another account cannot enter', () => {
    const inner = join(closed, 'a', 'b');
    mkdirSync(inner, { recursive: true });
    expect(firstClosedFolder(inner, NOBODY)).toBe(closed);
    chmodSync(closed, 0o711);
    expect(firstClosedFolder(inner, NOBODY)).toBeUndefined();
    chmodSync(closed, 0o700);
    // Folders that do not exist yet are made passable when they are created.
    expect(firstClosedFolder(join(tmpdir(), 'recipes-not-there', 'x'), NOBODY)).toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)('as root, starting in a folder nobody can enter fails before initdb, saying what to do', async () => {
    const start = startEmbeddedPostgres({ dataDir: join(closed, 'pg', 'data') });
    await expect(start).rejects.toThrow(`cannot enter ${closed}`);
    await expect(start).rejects.toThrow(/DATABASE_URL/);
    await expect(start).rejects.toThrow(`chmod o+x ${closed}`);
  });
});
