// Closed-model read load: VUS virtual users each fetch the first list page as fast as the stack answers.
//   k6 run k6/recipes.js
//   k6 run -e BASE_URL=http://127.0.0.1:8081 -e VUS=20 -e DURATION=30s k6/recipes.js
import http from 'k6/http';
import { envDuration, envPositiveInt, serviceThresholds, target, summaryTrendStats } from './lib/config.js';
import { authParams, login } from './lib/session.js';
import { checkRecipeList } from './lib/checks.js';

/** @type {import('k6/options').Options} */
export const options = {
  vus: envPositiveInt('VUS', 50), // twice HAProxy's maxconn 25 per replica, so one replica is always saturated
  duration: envDuration('DURATION', '1m'),
  summaryTrendStats,
  thresholds: {
    ...serviceThresholds,
  },
};

/** Logs in once; every VU reuses this session, so the test measures reads, not logins. */
export function setup() {
  return login(target);
}

/** @param {import('./lib/session.js').Session} session */
export default function (session) {
  const res = http.get(`${target.baseUrl}/api/v1/recipes`, authParams(session, 'GET /api/v1/recipes'));
  checkRecipeList(res);
}
