import { describe, expect, it } from 'vitest';
import { bootstrapMedian, compareRounds, relativeDifferences, roundOrder, verdictOf, type ComparisonRound, type SideFigures } from '../comparison.js';
import { createRandom } from '../../app/src/db/seed-data.js';

function side(requestsPerSecond: number, p99Ms: number): SideFigures {
  return { requestsPerSecond, p50Ms: p99Ms / 3, p99Ms, errorRate: 0, cpuMsPerRequest: { app: 1000 / requestsPerSecond } };
}

/** Rounds of two sides whose true throughputs are `a` and `b`, each run off by up to `noise` (relative), drawn from `seed`. */
function rounds(count: number, a: number, b: number, noise: number, seed: number): ComparisonRound[] {
  const random = createRandom(seed);
  const jitter = (value: number): number => value * (1 + noise * (2 * random() - 1));
  return Array.from({ length: count }, (_, index) => {
    const aRps = jitter(a);
    const bRps = jitter(b);
    return { round: index + 1, order: roundOrder(index + 1), a: side(aRps, 50_000 / aRps), b: side(bRps, 50_000 / bRps) };
  });
}

describe('compareRounds', () => {
  it('finds no difference between two runs of the same configuration at 10% noise', () => {
    const result = compareRounds({}, {}, rounds(5, 600, 600, 0.1, 1));
    expect(result.difference.verdict).toBe('no-difference');
    expect(result.difference.requestsPerSecond.low).toBeLessThan(0);
    expect(result.difference.requestsPerSecond.high).toBeGreaterThan(0);
  });

  it('calls a difference between identical configurations no more often than its confidence allows', () => {
    // With 5 rounds the interval spans the rounds' range: all five leaning one way happens 1 time in 16 by chance.
    const verdicts = Array.from({ length: 200 }, (_, seed) => {
      const differences = relativeDifferences(rounds(5, 600, 600, 0.1, seed + 1), (side) => side.requestsPerSecond);
      return verdictOf(bootstrapMedian(differences, createRandom(seed), 0.95, 1_000), 5);
    });
    const called = verdicts.filter((verdict) => verdict !== 'no-difference').length;
    expect(called / verdicts.length).toBeLessThan(0.1);
  });

  it('names A faster when B serves a third less, with an interval below 0 around the true -33%', () => {
    const result = compareRounds({}, { DB_POOL_MAX: '1' }, rounds(5, 600, 400, 0.05, 7));
    expect(result.difference.verdict).toBe('a-faster');
    const { estimate, low, high } = result.difference.requestsPerSecond;
    expect(high).toBeLessThan(0);
    expect(low).toBeLessThanOrEqual(estimate);
    expect(estimate).toBeLessThanOrEqual(high);
    expect(estimate).toBeCloseTo(-1 / 3, 1);
    // A longer p99 on B: positive.
    expect(result.difference.p99Ms.low).toBeGreaterThan(0);
  });

  it('names B faster when B serves more', () => {
    expect(compareRounds({}, {}, rounds(5, 500, 650, 0.05, 3)).difference.verdict).toBe('b-faster');
  });

  it('gives no verdict from fewer than 5 rounds, however clear, and says why', () => {
    const result = compareRounds({}, {}, rounds(2, 600, 400, 0.05, 7));
    expect(result.difference.requestsPerSecond.high).toBeLessThan(0);
    expect(result.difference.verdict).toBe('no-difference');
    expect(result.difference.note).toMatch(/fewer than 5 rounds give no verdict: that happens by chance once in 2/);
  });

  it('gives each side\'s medians over the rounds', () => {
    const result = compareRounds({}, {}, [
      { round: 1, order: ['a', 'b'], a: side(100, 10), b: side(200, 5) },
      { round: 2, order: ['b', 'a'], a: side(300, 30), b: side(100, 7) },
      { round: 3, order: ['a', 'b'], a: side(200, 20), b: side(400, 9) },
    ]);
    expect(result.medians.a.requestsPerSecond).toBe(200);
    expect(result.medians.b.p99Ms).toBe(7);
    expect(result.medians.a.cpuMsPerRequest.app).toBe(5);
  });

  it('is deterministic: the same rounds give the same interval', () => {
    const sample = rounds(5, 600, 580, 0.1, 11);
    expect(compareRounds({}, {}, sample).difference).toEqual(compareRounds({}, {}, sample).difference);
  });
});

describe('bootstrapMedian', () => {
  it('brackets the median and stays inside the values', () => {
    const interval = bootstrapMedian([0.05, -0.02, 0.01, 0.03, -0.01]);
    expect(interval.estimate).toBe(0.01);
    expect(interval.low).toBeGreaterThanOrEqual(-0.02);
    expect(interval.high).toBeLessThanOrEqual(0.05);
    expect(interval.low).toBeLessThan(interval.estimate);
    expect(interval.high).toBeGreaterThan(interval.estimate);
  });

  it('leaves out rounds that measured nothing, and gives NaN when none did', () => {
    expect(bootstrapMedian([Number.NaN, 0.1, 0.1]).estimate).toBe(0.1);
    expect(bootstrapMedian([Number.NaN]).estimate).toBeNaN();
  });
});

describe('roundOrder', () => {
  it('alternates which side goes first', () => {
    expect([1, 2, 3, 4].map(roundOrder)).toEqual([['a', 'b'], ['b', 'a'], ['a', 'b'], ['b', 'a']]);
  });
});

describe('the comparison in report.md', () => {
  it('gives the verdict, each side\'s medians with the difference and its interval, and every round', async () => {
    const { renderComparison } = await import('../report-comparison.js');
    const { runResult } = await import('./fixtures.js');
    const measured = rounds(5, 600, 400, 0.05, 7);
    const stack = (project: string) => ({ project, baseUrl: 'http://127.0.0.1:18300', api: { DB_PREPARE: 'true' }, images: [{ service: 'app', image: 'recipes-api:local', imageId: 'sha256:1' }] });
    const text = renderComparison({
      ...compareRounds({}, { DB_POOL_MAX: '1' }, measured),
      stacks: { a: stack('bench-a'), b: stack('bench-b') },
      runs: measured.map((round) => ({ round: round.round, a: runResult(round.round, 1, 600, 100), b: runResult(round.round, 1, 400, 150) })),
    });
    expect(text).toContain('- A: the defaults; compose project `bench-a`');
    expect(text).toContain('- B: `DB_POOL_MAX=1`; compose project `bench-b`');
    expect(text).toContain('**A is faster**');
    expect(text).toMatch(/\| requests\/s \| \d+ \| \d+ \| -\d+\.\d% \| -\d+\.\d% \[-\d+\.\d%, -\d+\.\d%\] \|/);
    expect(text).toMatch(/\| app CPU ms\/request \| \d\.\d\d \| \d\.\d\d \|/);
    expect(text).toContain('| 2 | B THEN A |');
    expect(text).toContain('[A](k6-r1-run5.html) [B](k6-r1-run5.html)');
  });
});
