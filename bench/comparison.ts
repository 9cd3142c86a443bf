// A comparison of two configurations from paired rounds: each round measured A and B back to back (alternating which
// went first), so slow drifts of the machine hit both sides of a pair alike. The difference of a round is B's figure
// relative to A's; the estimate is the median over the rounds, with a 95% percentile-bootstrap interval over the
// rounds (resampled as pairs, with a seeded generator so the same rounds always give the same interval).
import type { TierStats } from './docker-stats.js';
import { median } from './statistics.js';
// The seed's generator (mulberry32): the same resamples for the same rounds, on every machine.
import { createRandom } from '../app/src/db/seed-data.js';

/** One side's figures in one round. */
export interface SideFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  /** CPU ms per request of each tier. */
  cpuMsPerRequest: Record<string, number>;
}

/** One round: A and B measured back to back, in the order given. */
export interface ComparisonRound {
  round: number;
  order: ['a', 'b'] | ['b', 'a'];
  a: SideFigures;
  b: SideFigures;
}

/** A relative difference (B - A) / A: its median over the rounds and the 95% interval around it. */
export interface Difference {
  estimate: number;
  low: number;
  high: number;
}

export type Verdict = 'a-faster' | 'b-faster' | 'no-difference';

/** The record of a comparison (results.json's `comparison`). */
export interface ComparisonResult {
  /** Each side's settings, as given to --compare. */
  a: Record<string, string>;
  b: Record<string, string>;
  rounds: ComparisonRound[];
  /** Each side's median of every figure over the rounds. */
  medians: { a: SideFigures; b: SideFigures };
  difference: {
    /** More requests/s on B is positive. */
    requestsPerSecond: Difference;
    /** A longer p99 on B is positive. */
    p99Ms: Difference;
    method: string;
    /** From requests/s: a side is faster when the whole interval lies on its side of 0, over at least MIN_ROUNDS rounds. */
    verdict: Verdict;
    /** Why there is no verdict although the interval excludes 0 (too few rounds). */
    note?: string;
  };
}

export const CONFIDENCE = 0.95;
// With n rounds the interval spans about the rounds' range, and all n lean one way by chance once in 2^(n-1): 1 in 16 at
// 5 rounds, 1 in 2 at 2. Below 5 no interval means 95%, so no verdict is given.
export const MIN_ROUNDS = 5;
const RESAMPLES = 10_000;
const SEED = 0x5eed;
export const METHOD = `median of the per-round relative differences (B - A) / A, ${CONFIDENCE * 100}% percentile bootstrap over the paired rounds (${RESAMPLES} resamples, seeded)`;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

/** The median of `values` and a percentile-bootstrap interval for it at `confidence`. */
export function bootstrapMedian(values: readonly number[], random: () => number = createRandom(SEED), confidence = CONFIDENCE, resamples = RESAMPLES): Difference {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN };
  const medians: number[] = [];
  for (let i = 0; i < resamples; i += 1) {
    medians.push(median(Array.from({ length: finite.length }, () => finite[Math.floor(random() * finite.length)] as number)));
  }
  medians.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return { estimate: median(finite), low: quantile(medians, tail), high: quantile(medians, 1 - tail) };
}

/** (B - A) / A of one figure in each round. */
export function relativeDifferences(rounds: readonly ComparisonRound[], figure: (side: SideFigures) => number): number[] {
  return rounds.map((round) => figure(round.b) / figure(round.a) - 1);
}

/** Which side served more requests/s, when the interval of the difference excludes 0 over enough rounds. */
export function verdictOf(requestsPerSecond: Difference, rounds: number): Verdict {
  if (rounds < MIN_ROUNDS) return 'no-difference';
  if (requestsPerSecond.low > 0) return 'b-faster';
  if (requestsPerSecond.high < 0) return 'a-faster';
  return 'no-difference';
}

function medianSide(sides: readonly SideFigures[]): SideFigures {
  const tiers = [...new Set(sides.flatMap((side) => Object.keys(side.cpuMsPerRequest)))].sort();
  return {
    requestsPerSecond: median(sides.map((side) => side.requestsPerSecond)),
    p50Ms: median(sides.map((side) => side.p50Ms)),
    p99Ms: median(sides.map((side) => side.p99Ms)),
    errorRate: median(sides.map((side) => side.errorRate)),
    cpuMsPerRequest: Object.fromEntries(tiers.map((tier) => [tier, median(sides.flatMap((side) => side.cpuMsPerRequest[tier] ?? []))])),
  };
}

/** Each side's medians, the differences with their intervals, and the verdict. */
export function compareRounds(a: Record<string, string>, b: Record<string, string>, rounds: ComparisonRound[]): ComparisonResult {
  const requestsPerSecond = bootstrapMedian(relativeDifferences(rounds, (side) => side.requestsPerSecond), createRandom(SEED));
  const p99Ms = bootstrapMedian(relativeDifferences(rounds, (side) => side.p99Ms), createRandom(SEED + 1));
  const verdict = verdictOf(requestsPerSecond, rounds.length);
  const tooFew = rounds.length < MIN_ROUNDS && verdictOf(requestsPerSecond, MIN_ROUNDS) !== 'no-difference';
  return {
    a,
    b,
    rounds,
    medians: { a: medianSide(rounds.map((round) => round.a)), b: medianSide(rounds.map((round) => round.b)) },
    difference: {
      requestsPerSecond,
      p99Ms,
      method: METHOD,
      verdict,
      ...(tooFew ? { note: `every one of ${rounds.length} round(s) leaned the same way, but fewer than ${MIN_ROUNDS} rounds give no verdict: that happens by chance once in ${2 ** (rounds.length - 1)}` } : {}),
    },
  };
}

/** One side's figures of a measured run. */
export function sideFigures(load: { requestsPerSecond: number; latencyMs: { p50: number; p99: number }; errorRate: number }, tiers: readonly TierStats[]): SideFigures {
  return {
    requestsPerSecond: load.requestsPerSecond,
    p50Ms: load.latencyMs.p50,
    p99Ms: load.latencyMs.p99,
    errorRate: load.errorRate,
    cpuMsPerRequest: Object.fromEntries(tiers.map((tier) => [tier.service, tier.cpuMsPerRequest])),
  };
}

/** The order of round `round` (from 1): A first in odd rounds, B first in even ones. */
export function roundOrder(round: number): ['a', 'b'] | ['b', 'a'] {
  return round % 2 === 1 ? ['a', 'b'] : ['b', 'a'];
}
