import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K6UnavailableError, chooseK6Source } from '../stack/k6.js';

const IMAGE = 'grafana/k6:1.8.1';
let withK6 = '';
let empty = '';

beforeAll(async () => {
  withK6 = await mkdtemp(join(tmpdir(), 'k6-on-path-'));
  empty = await mkdtemp(join(tmpdir(), 'no-k6-'));
  await writeFile(join(withK6, 'k6'), '#!/bin/sh\necho k6 v1.8.1\n');
  await chmod(join(withK6, 'k6'), 0o755);
});
afterAll(async () => {
  await rm(withK6, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

describe('chooseK6Source: the load generator is settled before anything starts', () => {
  const never = (): Promise<never> => Promise.reject(new Error('must not be asked'));

  it('takes k6 from PATH first, without asking Docker', async () => {
    await expect(chooseK6Source({ path: `${empty}:${withK6}`, image: IMAGE, imagePresent: never, pullImage: never })).resolves.toEqual({
      kind: 'binary',
      path: join(withK6, 'k6'),
    });
  });

  it('takes the pinned image when it is here', async () => {
    await expect(chooseK6Source({ path: empty, image: IMAGE, imagePresent: () => Promise.resolve(true), pullImage: never })).resolves.toEqual({ kind: 'image', image: IMAGE });
  });

  it('pulls the pinned image when it is missing, as compose would', async () => {
    const pulled: string[] = [];
    const source = await chooseK6Source({
      path: empty,
      image: IMAGE,
      imagePresent: () => Promise.resolve(false),
      pullImage: (image) => {
        pulled.push(image);
        return Promise.resolve();
      },
    });
    expect(source).toEqual({ kind: 'image', image: IMAGE });
    expect(pulled).toEqual([IMAGE]);
  });

  it('stops with both ways to get k6 when neither works, instead of Docker\'s raw 404 after the stack is up', async () => {
    const choosing = chooseK6Source({
      path: empty,
      image: IMAGE,
      imagePresent: () => Promise.resolve(false),
      pullImage: () => Promise.reject(new Error('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host')),
    });
    await expect(choosing).rejects.toThrow(K6UnavailableError);
    await expect(choosing).rejects.toThrow(/k6 is not on PATH.*could not be pulled \(Get .*no such host\).*put a k6 binary on PATH.*go install go\.k6\.io\/k6@v1\.8\.1.*docker pull grafana\/k6:1\.8\.1/);
  });
});
