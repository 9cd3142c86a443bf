// Open-model load: iterations start at RATE per second whether or not earlier ones have finished, so a slow
// response delays no later request and latency is measured without coordinated omission.
// MIX=read (default): each iteration fetches the first list page, like recipes.js.
// MIX=mixed: each iteration is one operation of mixed.js's mix (75% reads, 20% writes, 5% deletes).
//   k6 run k6/open-model.js
//   k6 run -e RATE=150 -e DURATION=2m k6/open-model.js
//   k6 run -e MIX=mixed -e RATE=100 k6/open-model.js
import http from 'k6/http';
import { envDuration, envPositiveInt, envString, serviceThresholds, target, summaryTrendStats } from './lib/config.js';
import { authParams, login } from './lib/session.js';
import { checkRecipeList } from './lib/checks.js';
import { mixedIteration, mixedSetup, operationThresholds } from './lib/mixed-operations.js';

const MIX = envString('MIX', 'read');
if (MIX !== 'read' && MIX !== 'mixed') throw new Error(`MIX must be read or mixed, got "${MIX}"`);

// 100/s is well below the ~400 list pages/s one replica serves on a 2-core machine: an unsaturated stack.
const RATE = envPositiveInt('RATE', 100);
// In-flight requests = rate x latency (Little's law): 0.5 s of latency at RATE needs RATE/2 VUs ready at start;
// k6 drops an iteration whenever it must start a VU mid-test, so these are allocated up front...
const PRE_ALLOCATED_VUS = envPositiveInt('PRE_ALLOCATED_VUS', Math.max(10, Math.ceil(RATE / 2)));
// ...and 1 s of latency needs RATE VUs; past that the stack is overloaded and k6 counts dropped iterations instead.
const MAX_VUS = envPositiveInt('MAX_VUS', Math.max(PRE_ALLOCATED_VUS, RATE));

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    list_at_fixed_rate: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: envDuration('DURATION', '1m'),
      preAllocatedVUs: PRE_ALLOCATED_VUS,
      maxVUs: MAX_VUS,
    },
  },
  summaryTrendStats,
  thresholds: {
    ...serviceThresholds,
    // A dropped iteration is a request the stack never received at the planned time: the latency figures then
    // describe a lower rate than RATE. The threshold also makes the summary always print the count (0 when none).
    dropped_iterations: ['count==0'],
    ...(MIX === 'mixed' ? operationThresholds : {}),
  },
};

/**
 * Logs in once; every VU reuses this session (with MIX=mixed, also the ids of recipes to read).
 * @returns {import('./lib/session.js').Session | import('./lib/mixed-operations.js').MixedSetup}
 */
export function setup() {
  return MIX === 'mixed' ? mixedSetup() : login(target);
}

/** @param {import('./lib/mixed-operations.js').MixedSetup} data */
export default function (data) {
  if (MIX === 'mixed') {
    mixedIteration(data);
    return;
  }
  const res = http.get(`${target.baseUrl}/api/v1/recipes`, authParams(data, 'GET /api/v1/recipes'));
  checkRecipeList(res);
}
