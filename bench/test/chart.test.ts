import { describe, expect, it } from 'vitest';
import { niceTicks, renderChart } from '../chart.js';

/** Checks that every opened element is closed in order (the SVG is well-formed XML as far as tags go). */
function assertBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
}

function circles(svg: string): Array<{ cx: number; cy: number }> {
  return [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]) }));
}

describe('niceTicks', () => {
  it('ends on a round value at or above the maximum', () => {
    expect(niceTicks(1450)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(210)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(0.8)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
  });

  it('gives a unit axis when there is nothing to show', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });
});

describe('renderChart', () => {
  const svg = renderChart([
    { replicas: 4, requestsPerSecond: 1600, p99Ms: 90 },
    { replicas: 1, requestsPerSecond: 800, p99Ms: 210 },
    { replicas: 2, requestsPerSecond: 1450, p99Ms: 120 },
  ]);

  it('is a standalone, well-formed SVG document with both panels', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertBalancedTags(svg);
    expect(svg).toContain('>Requests per second<');
    expect(svg).toContain('>p99 latency (ms)<');
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('plots replicas in ascending order, higher values higher up', () => {
    const dots = circles(svg);
    expect(dots).toHaveLength(6);
    const [rps1, rps2, rps4, p1, p2, p4] = dots as [typeof dots[0], typeof dots[0], typeof dots[0], typeof dots[0], typeof dots[0], typeof dots[0]];
    expect(rps1.cx).toBeLessThan(rps2.cx);
    expect(rps2.cx).toBeLessThan(rps4.cx);
    // SVG y grows downwards: more requests/s is a smaller y; the p99 panel falls as replicas are added.
    expect(rps1.cy).toBeGreaterThan(rps2.cy);
    expect(rps2.cy).toBeGreaterThan(rps4.cy);
    expect(p1.cy).toBeLessThan(p2.cy);
    expect(p2.cy).toBeLessThan(p4.cy);
    expect(p1.cx).toBeGreaterThan(rps4.cx);
  });

  it('labels the axis ticks as plain round numbers', () => {
    expect(svg).toContain('dominant-baseline="middle">0</text>');
    expect(svg).toContain('dominant-baseline="middle">1500</text>');
    expect(svg).toContain('dominant-baseline="middle">50</text>');
    const small = renderChart([{ replicas: 1, requestsPerSecond: 0.8, p99Ms: 0.8 }]);
    expect(small).toContain('dominant-baseline="middle">0.2</text>');
  });

  it('labels each point with its value and each replica count on the x axis', () => {
    for (const value of ['800', '1450', '1600', '210', '120', '90.0']) expect(svg).toContain(`>${value}</text>`);
    expect(svg.match(/>API replicas</g)).toHaveLength(2);
  });

  it('leaves out a value that was not measured instead of drawing it', () => {
    const partial = renderChart([
      { replicas: 1, requestsPerSecond: 500, p99Ms: Number.NaN },
      { replicas: 2, requestsPerSecond: 900, p99Ms: 80 },
    ]);
    assertBalancedTags(partial);
    expect(circles(partial)).toHaveLength(3);
    expect(partial).not.toMatch(/NaN/);
  });

  it('draws the open-model p99 beside the closed-model p99, with a legend', () => {
    const both = renderChart([
      { replicas: 1, requestsPerSecond: 800, p99Ms: 210, openP99Ms: 45 },
      { replicas: 2, requestsPerSecond: 1450, p99Ms: 120, openP99Ms: 60 },
    ]);
    assertBalancedTags(both);
    expect(circles(both)).toHaveLength(6);
    expect(both).toContain('>open model</text>');
    expect(both).toContain('>closed model</text>');
    expect(svg).not.toContain('>open model</text>');
  });
});
