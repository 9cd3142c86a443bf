import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createSql, type Sql } from '../../src/db/client.js';

export interface TestDatabase {
  /** Pool used by the app under test (and by assertions on rows). */
  sql: Sql;
  url: string;
  name: string;
}

function databaseUrl(name: string): string {
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

/** Gives the calling test file a private clone of the seeded template database, dropped after the file. */
export function useTestDatabase(): TestDatabase {
  const name = `recipes_test_${randomBytes(6).toString('hex')}`;
  const db = { name, url: databaseUrl(name) } as TestDatabase;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });

  beforeAll(async () => {
    await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`);
    db.sql = createSql(loadConfig({ DATABASE_URL: db.url }));
  });

  afterAll(async () => {
    await db.sql?.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  return db;
}
