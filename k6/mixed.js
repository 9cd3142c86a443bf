// Mixed read/write load, closed model: VUS users each run one operation after another, 75% reads (list and
// detail), 20% writes (create and update), 5% deletes (k6/lib/mixed-operations.js).
//   k6 run k6/mixed.js
//   k6 run -e VUS=20 -e DURATION=30s k6/mixed.js
import { envDuration, envPositiveInt, serviceThresholds, summaryTrendStats } from './lib/config.js';
import { mixedIteration, mixedSetup, operationThresholds } from './lib/mixed-operations.js';

/** @type {import('k6/options').Options} */
export const options = {
  vus: envPositiveInt('VUS', 100), // twice recipes.js: writes' transactions then compete with reads for every pool
  duration: envDuration('DURATION', '1m'),
  summaryTrendStats,
  thresholds: { ...serviceThresholds, ...operationThresholds },
};

export const setup = mixedSetup;
export default mixedIteration;
