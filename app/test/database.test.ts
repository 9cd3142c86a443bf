import { describe, expect, it } from 'vitest';
import { hashSessionToken } from '../src/auth/session-token.js';
import { migrate } from '../src/db/migrations.js';
import { generateRecipes } from '../src/db/seed-data.js';
import { seed } from '../src/db/seeder.js';
import { TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function scans(node: PlanNode): string[] {
  const own = node['Relation Name'] ? [`${node['Node Type']} on ${node['Relation Name']}`] : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

describe('migrations', () => {
  it('are recorded and applying them again changes nothing', async () => {
    expect(await migrate(db.sql)).toEqual([]);
    const applied = await db.sql`select name from schema_migrations order by name`;
    expect(applied.map((row) => row.name)).toEqual(['0001-initial-schema.sql', '0002-recipe-summary-json.sql']);
  });

  it('run concurrently without conflict', async () => {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
    expect(results).toEqual([[], [], []]);
  });
});

describe('seed', () => {
  it('makes the demo and other teams with their users and recipe counts', async () => {
    const teams = await db.sql`
      select t.slug, count(r.id)::int as recipes from teams t left join recipes r on r.team_id = t.id
      group by t.slug order by t.slug
    `;
    expect(teams).toEqual([
      { slug: 'demo', recipes: 2000 },
      { slug: 'other', recipes: 200 },
    ]);
    const users = await db.sql`select email from users order by email`;
    expect(users.map((u) => u.email)).toEqual(
      expect.arrayContaining(['demo@example.com', 'other@example.com']),
    );
  });

  it('gives every recipe 3 to 12 ingredients and 2 to 8 steps', async () => {
    const [bounds] = await db.sql`
      select min(i.n)::int as min_i, max(i.n)::int as max_i, min(s.n)::int as min_s, max(s.n)::int as max_s
      from (select recipe_id, count(*) as n from ingredients group by recipe_id) i
      join (select recipe_id, count(*) as n from steps group by recipe_id) s using (recipe_id)
    `;
    expect(bounds?.min_i).toBeGreaterThanOrEqual(3);
    expect(bounds?.max_i).toBeLessThanOrEqual(12);
    expect(bounds?.min_s).toBeGreaterThanOrEqual(2);
    expect(bounds?.max_s).toBeLessThanOrEqual(8);
    const [{ orphans }] = await db.sql<[{ orphans: number }]>`
      select count(*)::int as orphans from recipes r
      where not exists (select 1 from ingredients i where i.recipe_id = r.id)
    `;
    expect(orphans).toBe(0);
  });

  it('is deterministic: the stored recipes are exactly the generated ones', async () => {
    const expected = generateRecipes(2000, 2000).map((r) => r.name);
    const stored = await db.sql`
      select r.name from recipes r join teams t on t.id = r.team_id where t.slug = 'demo' order by r.id
    `;
    expect(stored.map((r) => r.name)).toEqual(expected);
    expect(generateRecipes(2000, 50)).toEqual(generateRecipes(2000, 50));
  });

  it('is idempotent: a second run inserts nothing', async () => {
    const [{ before }] = await db.sql<[{ before: number }]>`select count(*)::int as before from recipes`;
    expect(await seed(db.sql, TEST_PASSWORD)).toEqual({ users: 0, teams: 0, recipes: 0, ingredients: 0, steps: 0 });
    const [{ after }] = await db.sql<[{ after: number }]>`select count(*)::int as after from recipes`;
    expect(after).toBe(before);
  });
});

describe('query plans', () => {
  // The statements the API runs, with representative values; each must reach its rows through an index.
  const statements: Record<string, string> = {
    login: `select id, email, name, password_hash from users where lower(email) = lower('demo@example.com')`,
    session: `select u.id, u.email, u.name from sessions s join users u on u.id = s.user_id
              where s.token_hash = '\\x${hashSessionToken('x').toString('hex')}' and s.expires > now()`,
    'expired sessions': `delete from sessions where token_hash in (
              select token_hash from sessions where expires <= now() order by expires limit 100 for update skip locked)`,
    list: `select r.id from recipes r
           where r.team_id in (select team_id from team_members where user_id = 1) and r.id > 1000
           order by r.id limit 101`,
    'list with its session check': `select page.id from sessions s
           left join lateral (
             select r.id from recipes r
             where r.team_id in (select team_id from team_members where user_id = s.user_id) and r.id > 0
             order by r.id limit 101
           ) page on true
           where s.token_hash = '\\x${hashSessionToken('x').toString('hex')}' and s.expires > now()`,
    'list, other team': `select r.id from recipes r
           where r.team_id in (select team_id from team_members where user_id = 4) and r.id > 0
           order by r.id limit 101`,
    detail: `select r.id,
               (select json_agg(i.name order by i.position) from ingredients i where i.recipe_id = r.id),
               (select json_agg(s.text order by s.position) from steps s where s.recipe_id = r.id)
             from recipes r
             where r.id = 42 and r.team_id in (select team_id from team_members where user_id = 1)`,
    delete: `delete from recipes where id = 42 and team_id in (select team_id from team_members where user_id = 1)`,
  };

  it.each(Object.entries(statements))('%s uses index scans only', async (_, statement) => {
    const plan = await db.sql.begin(async (tx) => {
      // Seeded users, teams and sessions fit in one page, where a scan beats any index; with seq scans priced out,
      // the plan shows whether an index can serve the query, which is what holds once those tables grow.
      await tx`set local enable_seqscan = off`;
      const [row] = await tx.unsafe(`explain (format json) ${statement}`);
      return (row?.['QUERY PLAN'] as { Plan: PlanNode }[])[0]?.Plan;
    });
    const found = scans(plan as PlanNode);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);
  });
});
