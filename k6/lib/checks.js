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
 * Checks a list page: status 200 and a full page of recipes. k6 counts the recipes with its own JSON selector (in Go)
 * rather than JSON.parse in the script: parsing 25 KB pages in JavaScript was most of the load generator's CPU.
 * @param {import('k6/http').Response} res
 * @returns {boolean}
 */
export function checkRecipeList(res) {
  const count = res.status === 200 ? selected(res, 'recipes.#') : undefined;
  return check(res, {
    'list: status 200': (r) => r.status === 200,
    [`list: ${PAGE_SIZE} recipes`]: () => count === PAGE_SIZE,
  });
}

/**
 * The ids of the recipes on a list page (empty when the body is not one).
 * @param {import('k6/http').Response} res
 * @returns {number[]}
 */
export function recipeIds(res) {
  const ids = selected(res, 'recipes.#.id');
  return Array.isArray(ids) ? ids.map(Number) : [];
}

/**
 * A value picked from a JSON body by k6's selector (gjson syntax), or undefined when the body is no such JSON.
 * @param {import('k6/http').Response} res
 * @param {string} selector
 * @returns {unknown}
 */
function selected(res, selector) {
  try {
    return res.json(selector) ?? undefined;
  } catch {
    return undefined;
  }
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
