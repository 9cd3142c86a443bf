// report.html in a real browser: Debian's Chromium, headless, driven by playwright-core (never `playwright install`).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../report.js';
import type { BenchResults, FaultRunResult } from '../results.js';
import { benchResults, runResult } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';

// Run in the page (as text: this project's TypeScript has no DOM types). Every canvas: whether Chart.js holds a chart
// on it, its data points, and how many of its pixels were painted.
const DRAWN_CHARTS = `[...document.querySelectorAll('canvas')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return { title: canvas.getAttribute('aria-label'), chart: chart !== undefined, points: chart ? chart.data.datasets.reduce((sum, set) => sum + set.data.length, 0) : 0, painted };
})`;
// The labels of the marks every chart draws.
const MARK_LABELS = `[...document.querySelectorAll('canvas')].flatMap((canvas) => (Chart.getChart(canvas)?.options.plugins.marks?.marks ?? []).map((mark) => mark.label))`;
const window = { requests: 100, failed: 0, p50Ms: 5, p99Ms: 20 };

/** The bench's record with a fault run whose marks fall inside its ten seconds. */
function withFault(results: BenchResults): BenchResults {
  const run = runResult(1, 2, 900, 200);
  const fault: FaultRunResult = {
    fault: 'restart-pgbouncer',
    marks: { fault: 'restart-pgbouncer', injectedAt: run.timeline.startMs + 3000, doneAt: run.timeline.startMs + 4500, acceptingAt: run.timeline.startMs + 5000, detail: 'restarted pgbouncer' },
    impact: { requests: 9000, failed: 40, failedRate: 0.004, failedBy: { 'HTTP 503': 40 }, longestGapMs: 900, gapStartsAfterFaultMs: 100, recoveryMs: 200, before: window, during: window, after: window },
    writeLoss: null,
    run,
    csvFile: 'k6-r2-fault-restart-pgbouncer.csv.gz',
  };
  return { ...results, faults: [fault] };
}

describe('report.html', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    dir = await mkdtemp(join(tmpdir(), 'bench-report-html-'));
    await writeReport(dir, withFault(benchResults()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('is one file that asks the network for nothing', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)/);
  });

  it('draws every chart from disk, with no console error and no request leaving the file', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-charts]', { timeout: 20_000 });
    const charts = await page.evaluate<Array<{ title: string | null; chart: boolean; points: number; painted: number }>>(DRAWN_CHARTS);
    await page.screenshot({ path: join(tmpdir(), 'bench-report-html.png'), fullPage: false });
    // Two summary charts, then four per run: 2 replica counts x 3 runs, and the fault run.
    expect(charts).toHaveLength(2 + 4 * 7);
    const bars = charts.find((chart) => chart.title?.startsWith("Where a request's time goes"));
    // Ten parts, each with a bar per replica count and one for the fault run.
    expect(bars?.points).toBe(10 * 3);
    for (const chart of charts) {
      expect(chart.chart, String(chart.title)).toBe(true);
      expect(chart.points, String(chart.title)).toBeGreaterThan(0);
      expect(chart.painted, String(chart.title)).toBeGreaterThan(1000);
    }
    expect(charts.map((chart) => chart.title)).toContain("Where a request's time goes: the client's mean latency in parts, ms per request");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it("marks the fault's injection on its run's charts", async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-charts]', { timeout: 20_000 });
    const marks = await page.evaluate<string[]>(MARK_LABELS);
    expect(marks).toEqual(expect.arrayContaining(['restart-pgbouncer injected', 'accepting again']));
    expect(marks).toHaveLength(4 * 2);
    await page.close();
  }, 60_000);
});
