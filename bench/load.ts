import { access, constants, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import autocannon from 'autocannon';
import type { Result as AutocannonResult } from 'autocannon';
import { runCommand, tail } from './processes.js';
import { DEMO_USER } from './preflight.js';

/** The figures of one load run, whichever generator produced them. */
export interface LoadFigures {
  generator: 'k6' | 'autocannon';
  requests: number;
  durationS: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Failed requests: non-2xx answers plus connection errors and timeouts. */
  errors: number;
  errorRate: number;
  /** k6 only: whether the script's thresholds held (k6 exits 99 when one is crossed). */
  thresholdsPassed: boolean | null;
  /** Answers per HTTP status, when the generator reports them (autocannon). */
  statusCodes: Record<string, number> | null;
}

/** One run of GET /api/v1/recipes at `vus` concurrent users for `durationMs`. */
export interface LoadRun {
  baseUrl: string;
  /** Session cookie from the preflight login ("sessionid=..."). k6 logs in itself, in the script's setup(). */
  cookie: string;
  vus: number;
  durationMs: number;
  /** Where the generator's own JSON output is written. */
  rawPath: string;
  /** Where the generator's console output is written (k6 only). */
  logPath: string;
  signal: AbortSignal;
}

/** A load generator the bench can drive. */
export interface LoadGenerator {
  name: 'k6' | 'autocannon';
  version: string;
  run(load: LoadRun): Promise<LoadFigures>;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function numberOf(object: Json, ...keys: string[]): number {
  for (const key of keys) {
    const value = object[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return Number.NaN;
}

/**
 * Reads k6's end-of-test summary: the `--summary-export` file (metrics hold their figures directly) or the
 * handleSummary() data (figures under `values`). Rate metrics count `passes` as samples that were true, so for
 * http_req_failed `passes` are the failed requests.
 */
export function parseK6Summary(summary: unknown, thresholdsPassed: boolean | null): LoadFigures {
  const metrics = asObject(asObject(summary).metrics);
  const metric = (name: string): Json => {
    const entry = asObject(metrics[name]);
    return 'values' in entry ? asObject(entry.values) : entry;
  };
  const reqs = metric('http_reqs');
  const duration = metric('http_req_duration');
  const failed = metric('http_req_failed');
  const requests = numberOf(reqs, 'count');
  const requestsPerSecond = numberOf(reqs, 'rate');
  if (!Number.isFinite(requests) || !Number.isFinite(requestsPerSecond)) {
    throw new Error('k6 summary has no http_reqs count and rate: the script made no requests');
  }
  const errors = numberOf(failed, 'passes');
  return {
    generator: 'k6',
    requests,
    durationS: requestsPerSecond > 0 ? requests / requestsPerSecond : 0,
    requestsPerSecond,
    latencyMs: {
      mean: numberOf(duration, 'avg'),
      p50: numberOf(duration, 'p(50)', 'med'),
      p90: numberOf(duration, 'p(90)'),
      p99: numberOf(duration, 'p(99)'),
      max: numberOf(duration, 'max'),
    },
    errors: Number.isFinite(errors) ? errors : 0,
    errorRate: numberOf(failed, 'value', 'rate'),
    thresholdsPassed,
    statusCodes: null,
  };
}

/** Reads autocannon's result: every non-2xx answer, connection error and timeout counts as an error. */
export function parseAutocannonResult(
  result: Pick<AutocannonResult, 'requests' | 'latency' | 'duration' | 'errors' | 'non2xx' | 'statusCodeStats'>,
): LoadFigures {
  const answered = result.requests.total;
  const errors = result.non2xx + result.errors;
  const attempts = answered + result.errors;
  return {
    generator: 'autocannon',
    requests: answered,
    durationS: result.duration,
    requestsPerSecond: result.duration > 0 ? answered / result.duration : 0,
    latencyMs: {
      mean: result.latency.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors,
    errorRate: attempts > 0 ? errors / attempts : 0,
    thresholdsPassed: null,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, Number(count)])),
  };
}

/** Absolute path of `k6` when it is on PATH. */
export async function findOnPath(command: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** k6 running k6/recipes.js, reading `--summary-export`. */
export async function k6Generator(k6Path: string, script: string): Promise<LoadGenerator> {
  const version = await runCommand(k6Path, ['version'], { timeoutMs: 15_000 });
  return {
    name: 'k6',
    version: version.output.trim().split('\n')[0] ?? 'unknown',
    async run(load) {
      const log = createWriteStream(load.logPath);
      const env = {
        ...process.env,
        BASE_URL: load.baseUrl,
        VUS: String(load.vus),
        DURATION: `${Math.round(load.durationMs / 1000)}s`,
        EMAIL: DEMO_USER.email,
        PASSWORD: DEMO_USER.password,
      };
      const result = await runCommand(k6Path, ['run', '--quiet', '--no-color', '--summary-export', load.rawPath, script], {
        env,
        log,
        signal: load.signal,
        timeoutMs: load.durationMs + 120_000, // setup, graceful stop and summary take seconds, not minutes
      });
      await new Promise((resolve) => log.end(resolve));
      load.signal.throwIfAborted();
      // Exit 99: the script's thresholds were crossed; the figures are still the measurement.
      if (result.code !== 0 && result.code !== 99) {
        throw new Error(`k6 run ${script} failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`);
      }
      const summary: unknown = JSON.parse(await readFile(load.rawPath, 'utf8'));
      return parseK6Summary(summary, result.code === 0);
    },
  };
}

/** autocannon in this process: `vus` connections each sending GET /api/v1/recipes with the session cookie. */
export function autocannonGenerator(): LoadGenerator {
  const require = createRequire(import.meta.url);
  const { version } = require('autocannon/package.json') as { version: string };
  return {
    name: 'autocannon',
    version: `autocannon ${version}`,
    async run(load) {
      const result = await new Promise<AutocannonResult>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${load.baseUrl}/api/v1/recipes`,
            connections: load.vus,
            duration: load.durationMs / 1000,
            headers: { cookie: load.cookie },
            timeout: 10, // seconds; a request slower than this counts as an error
          },
          (error, finished) => (error ? reject(error) : resolve(finished)),
        );
        load.signal.addEventListener('abort', () => instance.stop(), { once: true });
      });
      load.signal.throwIfAborted();
      await writeFile(load.rawPath, `${JSON.stringify(result, null, 2)}\n`);
      return parseAutocannonResult(result);
    },
  };
}
