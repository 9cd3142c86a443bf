import { hashPassword } from '../auth/passwords.js';
import type { Sql } from './client.js';
import { generateRecipes } from './seed-data.js';

export const DEFAULT_SEED_PASSWORD = 'demo-password';

interface SeedTeam {
  slug: string;
  name: string;
  recipes: number;
  /** Fixed per team, so every seeded database holds the same recipes. */
  randomSeed: number;
  members: { email: string; name: string; role: 'owner' | 'member' }[];
}

export const SEED_TEAMS: SeedTeam[] = [
  {
    slug: 'demo',
    name: 'Demo Kitchen',
    recipes: 2000,
    randomSeed: 2000,
    members: [
      { email: 'demo@example.com', name: 'Demo Cook', role: 'owner' },
      { email: 'ana@example.com', name: 'Ana Ribeiro', role: 'member' },
      { email: 'kofi@example.com', name: 'Kofi Mensah', role: 'member' },
    ],
  },
  {
    slug: 'other',
    name: 'Other Kitchen',
    recipes: 200,
    randomSeed: 200,
    members: [{ email: 'other@example.com', name: 'Other Cook', role: 'owner' }],
  },
];

// Rows per multi-row insert: 1000 ingredients x 4 columns stays far below Postgres's 65535 parameters.
const CHUNK = 1000;
const SEED_LOCK_KEY = 7_304_222;

export interface SeedSummary {
  users: number;
  teams: number;
  recipes: number;
  ingredients: number;
  steps: number;
}

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

/** Creates the demo teams, users and recipes unless they exist; returns what was inserted. */
export async function seed(sql: Sql, password = DEFAULT_SEED_PASSWORD): Promise<SeedSummary> {
  const summary: SeedSummary = { users: 0, teams: 0, recipes: 0, ingredients: 0, steps: 0 };
  const passwordHash = await hashPassword(password);
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SEED_LOCK_KEY})`;
    for (const team of SEED_TEAMS) {
      const teamRows = await tx<{ id: number }[]>`
        insert into teams (slug, name) values (${team.slug}, ${team.name})
        on conflict (slug) do nothing
        returning id
      `;
      summary.teams += teamRows.length;
      const [{ id: teamId }] = await tx<[{ id: number }]>`select id from teams where slug = ${team.slug}`;

      for (const member of team.members) {
        const userRows = await tx`
          insert into users (email, name, password_hash) values (${member.email}, ${member.name}, ${passwordHash})
          on conflict ((lower(email))) do nothing
          returning id
        `;
        summary.users += userRows.length;
        await tx`
          insert into team_members (team_id, user_id, role)
          select ${teamId}, id, ${member.role} from users where lower(email) = lower(${member.email})
          on conflict do nothing
        `;
      }

      const [{ count }] = await tx<[{ count: number }]>`select count(*)::int as count from recipes where team_id = ${teamId}`;
      if (count > 0) continue;
      const recipes = generateRecipes(team.randomSeed, team.recipes);
      for (const part of chunks(recipes)) {
        await tx`
          insert into recipes ${tx(
            part.map((r) => ({
              team_id: teamId,
              name: r.name,
              author: r.author,
              source: r.source,
              servings: r.servings,
              time_minutes: r.timeMinutes,
              tags: tx.array(r.tags),
            })),
          )}
        `;
      }
      // Identity values follow insertion order, and the lock keeps anyone else from inserting meanwhile.
      const ids = (await tx<{ id: number }[]>`select id from recipes where team_id = ${teamId} order by id`).map(
        (row) => row.id,
      );
      const ingredients = recipes.flatMap((r, i) =>
        r.ingredients.map((item, position) => ({ recipe_id: ids[i], position, name: item.name, quantity: item.quantity })),
      );
      const steps = recipes.flatMap((r, i) => r.steps.map((text, position) => ({ recipe_id: ids[i], position, text })));
      for (const part of chunks(ingredients)) await tx`insert into ingredients ${tx(part)}`;
      for (const part of chunks(steps)) await tx`insert into steps ${tx(part)}`;
      summary.recipes += recipes.length;
      summary.ingredients += ingredients.length;
      summary.steps += steps.length;
    }
  });
  // Fresh planner statistics now, not at autovacuum's next pass: until then the planner guesses row counts and a
  // benchmark started right after seeding measures worse plans.
  if (summary.recipes > 0) await sql`analyze users, teams, team_members, recipes, ingredients, steps`;
  return summary;
}
