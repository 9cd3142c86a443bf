import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrations.js';
import { seed } from '../src/db/seeder.js';
import { startEmbeddedPostgres } from '../dev/embedded-postgres.js';
import { TEST_PASSWORD } from './support/constants.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection to the server holding the template database. */
    adminUrl: string;
    /** A migrated and seeded database that each test file clones. */
    templateDatabase: string;
  }
}

/** Starts (or reuses, via DATABASE_URL) one PostgreSQL for the run and builds the seeded template database once. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = loadConfig().databaseUrl;
  let stopServer = async () => {};
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-test-pg-'));
    const server = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), ephemeral: true });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  const templateDatabase = `recipes_template_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${templateDatabase}`);
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${templateDatabase}`;
  const template = postgres(templateUrl.toString(), { max: 1, onnotice: () => {} });
  await migrate(template);
  await seed(template, TEST_PASSWORD);
  await template`analyze`;
  await template.end();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    await admin.unsafe(`drop database if exists ${templateDatabase} with (force)`);
    await admin.end();
    await stopServer();
  };
}
