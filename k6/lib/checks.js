import { check } from 'k6';
import { PAGE_SIZE } from './demo.js';

/**
 * The response body as a JSON object, or null when it is not one (an HTML error page, an empty body).
 * @param {import('k6/http').Response} res
 * @returns {Record<string, unknown> | null}
 */
export function jsonObject(res) {
  if (typeof res.body !== 'string' || res.body === '') return null;
  try {
    const value = JSON.parse(res.body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Checks a list page: status 200 and a full page of recipes. Returns the recipes' ids (empty when the checks fail).
 * @param {import('k6/http').Response} res
 * @returns {number[]}
 */
export function checkRecipeList(res) {
  const body = jsonObject(res);
  const recipes = body !== null && Array.isArray(body.recipes) ? body.recipes : null;
  const ok = check(res, {
    'list: status 200': (r) => r.status === 200,
    [`list: ${PAGE_SIZE} recipes`]: () => recipes !== null && recipes.length === PAGE_SIZE,
  });
  if (!ok || recipes === null) return [];
  return recipes.map((recipe) => Number(recipe.id));
}

/**
 * Checks a recipe detail (GET, POST or PATCH answer): the expected status and a body with ingredients and steps.
 * Returns the recipe's id, or null when the checks fail.
 * @param {import('k6/http').Response} res
 * @param {string} label e.g. "create", names the checks in the summary
 * @param {number} expectedStatus
 * @param {number} [expectedId] the id the body must carry, when known
 * @returns {number | null}
 */
export function checkRecipeDetail(res, label, expectedStatus, expectedId) {
  const body = jsonObject(res);
  const ok = check(res, {
    [`${label}: status ${expectedStatus}`]: (r) => r.status === expectedStatus,
    [`${label}: recipe detail body`]: () =>
      body !== null &&
      typeof body.id === 'number' &&
      (expectedId === undefined || body.id === expectedId) &&
      Array.isArray(body.ingredients) &&
      Array.isArray(body.steps),
  });
  return ok && body !== null ? Number(body.id) : null;
}

/**
 * Checks a response that must have exactly this status and no other property (e.g. DELETE -> 204).
 * @param {import('k6/http').Response} res
 * @param {string} label
 * @param {number} expectedStatus
 * @returns {boolean}
 */
export function checkStatus(res, label, expectedStatus) {
  return check(res, { [`${label}: status ${expectedStatus}`]: (r) => r.status === expectedStatus });
}
