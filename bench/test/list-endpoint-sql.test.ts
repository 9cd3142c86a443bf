import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { listRecipes } from '../../app/src/recipes/queries.js';
import { useTestDatabase } from '../../app/test/support/database.js';
import { parsePgbench, scriptStatements } from '../ceiling.js';

const db = useTestDatabase();

it('the ceiling script runs exactly the statements of GET /api/v1/recipes, as the API sends them', async () => {
  const sent: string[] = [];
  const sql = postgres(db.url, { max: 1, fetch_types: false, onnotice: () => {}, debug: (_connection, query) => sent.push(query.replace(/\s+/g, ' ').trim()) });
  try {
    await listRecipes(sql, 'a'.repeat(43), 0, 100);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const script = await readFile(fileURLToPath(new URL('../list-endpoint.sql', import.meta.url)), 'utf8');
  expect(scriptStatements(script)).toEqual(sent);
});

it('reads tps, latency and transactions from pgbench', () => {
  const output = [
    'number of clients: 25',
    'number of transactions actually processed: 48741',
    'number of failed transactions: 0 (0.000%)',
    'latency average = 10.262 ms',
    'initial connection time = 35.114 ms',
    'tps = 2436.128711 (without initial connection time)',
  ].join('\n');
  expect(parsePgbench(output)).toEqual({ tps: 2436.128711, latencyMs: 10.262, transactions: 48741 });
  expect(() => parsePgbench('connection to server failed')).toThrow(/no tps/);
});
