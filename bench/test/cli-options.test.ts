import { describe, expect, it } from 'vitest';
import { UsageError, formatDuration, parseBenchArgs, parseDuration, parseReplicas } from '../cli-options.js';

describe('parseBenchArgs', () => {
  it('applies the documented defaults', () => {
    const options = parseBenchArgs([]);
    expect(options).toMatchObject({
      replicas: [1, 2],
      durationMs: 20_000,
      vus: 50,
      runs: 1,
      warmupMs: 5_000,
      scenario: 'read',
      open: [0.8],
      useRunning: false,
      baseUrl: 'http://127.0.0.1:8080',
      port: 8080,
      composeCmd: null,
      project: 'recipes-bench',
      outDir: 'bench-results',
      help: false,
    });
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const options = parseBenchArgs([
      '--replicas', '1,2,4', '--duration=1m30s', '--vus', '20', '--runs=3', '--warmup', '0s',
      '--project', 'my-bench', '--compose-cmd', 'docker compose', '--out', '/tmp/results',
      '--scenario', 'mixed', '--open', '0.5,0.8',
    ]);
    expect(options.scenario).toBe('mixed');
    expect(options.open).toEqual([0.5, 0.8]);
    expect(options.replicas).toEqual([1, 2, 4]);
    expect(options.durationMs).toBe(90_000);
    expect(options.vus).toBe(20);
    expect(options.runs).toBe(3);
    expect(options.warmupMs).toBe(0);
    expect(options.project).toBe('my-bench');
    expect(options.composeCmd).toEqual(['docker', 'compose']);
    expect(options.outDir).toBe('/tmp/results');
  });

  it('--fault runs faults at 3 replicas by default, with no open-model runs', () => {
    const options = parseBenchArgs(['--fault', 'kill-replica,scale', '--fault-at', '4s', '--duration', '10s']);
    expect(options).toMatchObject({ faults: ['kill-replica', 'scale'], faultAtMs: 4_000, replicas: [3], open: [] });
    expect(parseBenchArgs(['--fault', 'all']).faults).toEqual(['kill-replica', 'stop-replica', 'restart-pgbouncer', 'restart-postgres', 'scale']);
    expect(parseBenchArgs([]).faults).toEqual([]);
  });

  it.each([
    [['--fault', 'unplug'], /--fault takes kill-replica/],
    [['--fault', 'scale,scale'], /twice/],
    [['--fault', 'scale', '--replicas', '2,3'], /single number/],
    [['--fault', 'scale', '--fault-at', '30s'], /inside --duration/],
    [['--fault', 'scale', '--use-running'], /leave out --use-running/],
    [['--fault', 'scale', '--open', '0.5'], /leave out --open/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it('--compare takes A and B, each NAME=value settings or "" for the defaults, at 1 replica and 5 rounds by default', () => {
    const options = parseBenchArgs(['--compare', '', 'DB_POOL_MAX=1 APP_IMAGE=other-api:1', '--duration', '15s']);
    expect(options.compare).toEqual({ a: {}, b: { DB_POOL_MAX: '1', APP_IMAGE: 'other-api:1' }, rounds: 5 });
    expect(options).toMatchObject({ replicas: [1], open: [], runs: 1, durationMs: 15_000 });
    expect(parseBenchArgs(['--rounds', '2', '--compare', 'DB_POOL_MAX=5', 'DB_POOL_MAX=25']).compare).toEqual({ a: { DB_POOL_MAX: '5' }, b: { DB_POOL_MAX: '25' }, rounds: 2 });
    expect(parseBenchArgs([]).compare).toBeNull();
  });

  it.each([
    [['--compare', ''], /two settings lists, A and B/],
    [['--compare', '', 'DB_POOL_MAX=1', 'extra'], /Unexpected positional argument 'extra'/],
    [['--compare', 'DB_POOL_MAX', ''], /--compare A must be NAME=value settings/],
    [['--compare', '', 'HAPROXY_PORT=9000'], /--compare B sets HAPROXY_PORT, but the bench publishes each stack/],
    [['--compare', '', 'X=1 X=2'], /sets X twice/],
    [['--compare', '', '', '--rounds', '1'], /--rounds must be between 2 and 15/],
    [['--rounds', '3'], /give --compare A B/],
    [['--compare', '', '', '--use-running'], /leave out --use-running/],
    [['--compare', '', '', '--fault', 'scale'], /give one of them/],
    [['--compare', '', '', '--open', '0.5'], /leave out --open/],
    [['--compare', '', '', '--runs', '3'], /leave out --runs/],
    [['--compare', '', '', '--replicas', '1,2'], /single number/],
  ])('rejects the comparison %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it('--open none skips the open-model runs', () => {
    expect(parseBenchArgs(['--open', 'none']).open).toEqual([]);
  });

  it('--port moves both the published port and the base URL', () => {
    const options = parseBenchArgs(['--port', '18080']);
    expect(options.port).toBe(18080);
    expect(options.baseUrl).toBe('http://127.0.0.1:18080');
  });

  it('takes the port from --base-url when --port is absent', () => {
    const options = parseBenchArgs(['--base-url', 'http://localhost:9090']);
    expect(options).toMatchObject({ port: 9090, baseUrl: 'http://localhost:9090' });
  });

  it.each([
    [['--replicas', '1,,2'], /comma-separated/],
    [['--replicas', '0'], /between 1 and 8/],
    [['--replicas', '1,2,1'], /lists 1 twice/],
    [['--replicas', 'two'], /whole number/],
    [['--duration', '20'], /--duration must be a duration/],
    [['--duration', '1s'], /between 2s and 1h/],
    [['--scenario', 'write'], /--scenario must be read or mixed/],
    [['--open', '1.5'], /--open takes fractions/],
    [['--open', '0.8,0.8'], /twice/],
    [['--warmup', '500ms'], /0s or at least 1s/],
    [['--vus', '0'], /--vus must be between 1 and 1000/],
    [['--vus', '5.5'], /--vus must be a whole number/],
    [['--runs', '99'], /--runs must be between 1 and 15/],
    [['--base-url', 'http://10.0.0.5:8080'], /127.0.0.1 or localhost/],
    [['--base-url', 'https://127.0.0.1:8443'], /must use http:/],
    [['--base-url', 'http://127.0.0.1:8080/api'], /no path/],
    [['--base-url', 'not a url'], /must be a URL/],
    [['--port', '70000'], /--port must be between 1 and 65535/],
    [['--port', '8081', '--base-url', 'http://127.0.0.1:8080'], /disagree/],
    [['--use-running', '--replicas', '2'], /--use-running/],
    [['--project', 'Bad Name'], /--project/],
    [['--compose-cmd', '  '], /must not be empty/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /positional/i],
  ])('rejects %j with a message naming the problem', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['20s', 20_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['0s', 0],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text, '--duration')).toBe(ms);
  });

  it.each(['', '20', 's', '1x', '-5s', '1.5s'])('rejects %j', (text) => {
    expect(() => parseDuration(text, '--warmup')).toThrow(/--warmup must be a duration/);
  });

  it('formats milliseconds the way the flags take them', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(999)).toBe('999ms');
    expect(formatDuration(20_000)).toBe('20s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(3_723_000)).toBe('1h2m3s');
  });
});

describe('parseReplicas', () => {
  it('keeps the given order and trims spaces', () => {
    expect(parseReplicas('4, 1 ,2')).toEqual([4, 1, 2]);
  });
});
