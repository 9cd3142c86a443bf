// The operations of the mixed load: 75% reads (list and detail), 20% writes (create and update), 5% deletes.
// Each VU updates and deletes only recipes it created itself, so no two VUs ever race on one record.
// Recipes a VU created and did not delete stay in the demo team (named "k6 mixed ..."); `down -v` resets the data.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { envString, target } from './config.js';
import { authParams, login } from './session.js';
import { checkRecipeDetail, checkRecipeList, checkStatus, recipeIds } from './checks.js';

/**
 * The logged-in session plus ids of existing recipes every VU may read (and never changes).
 * @typedef {import('./session.js').Session & { readIds: number[] }} MixedSetup
 */

/**
 * Logs in once and collects one list page of ids for detail reads.
 * @returns {MixedSetup}
 */
export function mixedSetup() {
  const session = login(target);
  const res = http.get(`${target.baseUrl}/api/v1/recipes`, authParams(session, 'GET /api/v1/recipes'));
  const readIds = checkRecipeList(res) ? recipeIds(res) : [];
  if (readIds.length === 0) throw new Error(`setup: the first list page at ${target.baseUrl} has no recipes`);
  return { ...session, readIds };
}

// Names this run's recipes apart from other runs' (the bench sets it per run; by hand it is "manual").
const RUN_ID = envString('RUN_ID', 'manual');
// Every create and delete, answered or not, tagged with the recipe (`key` vu<N>-i<I>, also in its name, and `id`)
// and whether the API acknowledged it: the bench checks them against Postgres after a fault run (k6's CSV output).
const writes = new Counter('recipe_writes');

/** Always-true thresholds: they make the end-of-test summary print latency per kind of operation. */
export const operationThresholds = {
  'http_req_duration{op:read}': ['max>=0'],
  'http_req_duration{op:write}': ['max>=0'],
  'http_req_duration{op:delete}': ['max>=0'],
};

// Module scope is per VU in k6: the ids of the recipes this VU created and has not deleted yet.
/** @type {number[]} */
const ownIds = [];

/**
 * @template T
 * @param {T[]} items non-empty
 * @returns {T}
 */
function pick(items) {
  return /** @type {T} */ (items[Math.floor(Math.random() * items.length)]);
}

/** @param {MixedSetup} data */
function listRecipes(data) {
  const res = http.get(`${target.baseUrl}/api/v1/recipes`, authParams(data, 'GET /api/v1/recipes', { tags: { op: 'read' } }));
  checkRecipeList(res);
}

/** @param {MixedSetup} data */
function readRecipe(data) {
  // Half of the detail reads hit this VU's own fresh records (when it has some), half the seeded ones.
  const id = ownIds.length > 0 && Math.random() < 0.5 ? pick(ownIds) : pick(data.readIds);
  const res = http.get(`${target.baseUrl}/api/v1/recipes/${id}`, authParams(data, 'GET /api/v1/recipes/:id', { tags: { op: 'read' } }));
  checkRecipeDetail(res, 'detail', 200, id);
}

/**
 * Creates a recipe owned by this VU and remembers its id; returns the id, or null when the create failed.
 * @param {MixedSetup} data
 * @returns {number | null}
 */
function createRecipe(data) {
  const body = {
    name: `k6 mixed ${RUN_ID} vu${__VU} iteration ${__ITER}`,
    servings: 4,
    time: 25,
    tags: ['k6', 'mixed'],
    ingredients: [
      { name: 'flour', quantity: '500 g' },
      { name: 'water', quantity: '300 ml' },
    ],
    steps: ['Mix the flour and water.', 'Rest for 20 minutes.'],
  };
  const res = http.post(
    `${target.baseUrl}/api/v1/recipes`,
    JSON.stringify(body),
    authParams(data, 'POST /api/v1/recipes', { headers: { 'Content-Type': 'application/json' }, tags: { op: 'write' } }),
  );
  const id = checkRecipeDetail(res, 'create', 201);
  writes.add(1, { op: 'create', key: `vu${__VU}-i${__ITER}`, id: String(id ?? ''), acknowledged: String(res.status === 201) });
  if (id === null) return null;
  check(res, { 'create: Location names the new recipe': (r) => String(r.headers.Location).endsWith(`/api/v1/recipes/${id}`) });
  ownIds.push(id);
  return id;
}

/** @param {MixedSetup} data */
function updateRecipe(data) {
  const id = ownIds.length > 0 ? ownIds[ownIds.length - 1] : createRecipe(data);
  if (id === null || id === undefined) return;
  const servings = 1 + (__ITER % 12);
  const res = http.patch(
    `${target.baseUrl}/api/v1/recipes/${id}`,
    JSON.stringify({ servings, steps: ['Mix everything.', `Serve ${servings}.`] }),
    authParams(data, 'PATCH /api/v1/recipes/:id', { headers: { 'Content-Type': 'application/json' }, tags: { op: 'write' } }),
  );
  checkRecipeDetail(res, 'update', 200, id);
}

/** @param {MixedSetup} data */
function deleteRecipe(data) {
  // The oldest own record goes first; a VU without one creates one, so every delete iteration deletes.
  if (ownIds.length === 0) createRecipe(data);
  const id = ownIds.shift();
  if (id === undefined) return;
  const res = http.del(`${target.baseUrl}/api/v1/recipes/${id}`, null, authParams(data, 'DELETE /api/v1/recipes/:id', { tags: { op: 'delete' } }));
  checkStatus(res, 'delete', 204);
  writes.add(1, { op: 'delete', id: String(id), acknowledged: String(res.status === 204) });
}

// Cumulative shares of the operations, in iterations: 37.5 + 37.5 = 75% reads, 10 + 10 = 20% writes, 5% deletes.
const MIX = [
  { upTo: 0.375, run: listRecipes },
  { upTo: 0.75, run: readRecipe },
  { upTo: 0.85, run: createRecipe },
  { upTo: 0.95, run: updateRecipe },
  { upTo: 1, run: deleteRecipe },
];

/**
 * One iteration of the mix: one operation, drawn by its share.
 * @param {MixedSetup} data
 */
export function mixedIteration(data) {
  const roll = Math.random();
  const operation = MIX.find((entry) => roll < entry.upTo) || MIX[MIX.length - 1];
  if (operation !== undefined) operation.run(data);
}
