// report.html: the bench's charts in one self-contained page that opens from disk with no network. Chart.js (pinned in
// package.json) is inlined as text; the figures are inlined as JSON; a short script draws, for the summary,
// requests/s and p99 against replicas and the breakdown as one stacked bar per replica count (per comparison run, per
// fault run), and for every run, second by second, the load, each tier's CPU and memory, and the queues, with a
// fault's marks.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BREAKDOWN_PARTS, type Breakdown } from './breakdown.js';
import type { BenchResults, RunResult } from './results.js';

/** One run's charts: its name, its seconds, and the moments (seconds into it) a fault was injected and gone. */
interface PageRun {
  title: string;
  timeline: RunResult['timeline'];
  marks: Array<{ second: number; label: string }>;
}

/** A stacked bar: its label and the parts (the round trip split into PgBouncer's wait, Postgres and the rest). */
interface PageBar {
  label: string;
  parts: Record<string, number>;
}

export interface PageData {
  title: string;
  summary: Array<{ replicas: number; requestsPerSecond: number; p99Ms: number; openP99Ms: number | null }>;
  bars: PageBar[];
  parts: string[];
  runs: PageRun[];
}

// The stacked parts: each nested part of the round trip on its own, and the round trip's rest, so the stack adds up.
const STACKED: ReadonlyArray<{ label: string; value: (b: Breakdown) => number }> = BREAKDOWN_PARTS.flatMap((part) => {
  if (part.key === 'roundTripMs') return [];
  const own = { label: part.label.replace(/^of which /, 'round trip: '), value: (b: Breakdown) => b[part.key] };
  if (part.key !== 'postgresExecMs') return [own];
  return [own, { label: 'round trip: the rest (network, PgBouncer)', value: (b: Breakdown) => b.roundTripMs - (b.pgbouncerWaitMs || 0) - (b.postgresExecMs || 0) }];
});

function bar(label: string, breakdown: Breakdown): PageBar {
  return { label, parts: Object.fromEntries(STACKED.map((part) => [part.label, Number.isFinite(part.value(breakdown)) ? part.value(breakdown) : 0])) };
}

/** What the page draws, from the record. */
export function pageData(results: BenchResults): PageData {
  const runs: PageRun[] = [];
  for (const result of results.results) {
    const name = `${result.replicas} replica${result.replicas === 1 ? '' : 's'}`;
    for (const run of result.runs) runs.push({ title: `${name}, run ${run.run}`, timeline: run.timeline, marks: [] });
    for (const run of result.open) runs.push({ title: `${name}, open model at ${run.rate} req/s`, timeline: run.timeline, marks: [] });
  }
  for (const fault of results.faults ?? []) {
    const at = (ms: number): number => (ms - fault.run.timeline.startMs) / 1000;
    runs.push({
      title: `fault: ${fault.fault}`,
      timeline: fault.run.timeline,
      marks: [
        { second: at(fault.marks.injectedAt), label: `${fault.fault} injected` },
        ...(fault.marks.acceptingAt === null ? [{ second: at(fault.marks.doneAt), label: 'done' }] : [{ second: at(fault.marks.acceptingAt), label: 'accepting again' }]),
      ],
    });
  }
  for (const round of results.comparison?.runs ?? []) {
    runs.push({ title: `comparison round ${round.round}, A`, timeline: round.a.timeline, marks: [] });
    runs.push({ title: `comparison round ${round.round}, B`, timeline: round.b.timeline, marks: [] });
  }
  const bars = [
    ...(results.comparison?.runs.flatMap((round) => [bar(`round ${round.round} A`, round.a.breakdown.breakdown), bar(`round ${round.round} B`, round.b.breakdown.breakdown)]) ??
      results.results.map((result) => bar(`${result.replicas} replica${result.replicas === 1 ? '' : 's'}`, result.breakdown))),
    ...(results.faults ?? []).map((fault) => bar(`fault: ${fault.fault}`, fault.run.breakdown.breakdown)),
  ];
  return {
    title: `Benchmark: recipes stack, ${results.startedAt}`,
    summary: results.results.map((result) => ({
      replicas: result.replicas,
      requestsPerSecond: result.median.requestsPerSecond,
      p99Ms: result.median.p99Ms,
      // The open-model run at the highest fraction: the one closest to capacity.
      openP99Ms: [...result.open].sort((a, b) => b.fraction - a.fraction)[0]?.load.latencyMs.p99 ?? null,
    })),
    bars: bars.filter((entry) => Object.values(entry.parts).some((value) => value !== 0)),
    parts: STACKED.map((part) => part.label),
    runs: runs.filter((run) => run.timeline !== undefined),
  };
}

/** Chart.js's browser build, read from the installed package. */
export async function chartLibrary(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFile(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

// Inside a <script>: nothing may close the element early.
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

// The page's own script: builds a canvas per chart and draws it; sets document.body.dataset.charts when done.
const DRAW = String.raw`
const data = JSON.parse(document.getElementById('figures').textContent);
const colors = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
Chart.defaults.animation = false;
Chart.defaults.font.size = 11;
// Vertical lines at a run's marks (a fault injected, the service back).
const marks = {
  id: 'marks',
  afterDatasetsDraw(chart, args, options) {
    const { ctx, chartArea, scales } = chart;
    for (const [index, mark] of (options.marks || []).entries()) {
      const x = scales.x.getPixelForValue(mark.second);
      if (x < chartArea.left || x > chartArea.right) continue;
      ctx.save();
      ctx.strokeStyle = '#d62728';
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = '#d62728';
      // One line of text each, so marks close together stay readable.
      ctx.fillText(mark.label, x + 3, chartArea.top + 10 + 12 * index);
      ctx.restore();
    }
  },
};
Chart.register(marks);
function canvasIn(section, title) {
  const figure = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const holder = document.createElement('div');
  holder.className = 'chart';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('aria-label', title);
  holder.appendChild(canvas);
  figure.append(caption, holder);
  section.appendChild(figure);
  return canvas;
}
function line(section, title, datasets, yTitle, runMarks, y1Title) {
  const scales = { x: { type: 'linear', title: { display: true, text: 'seconds into the run' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } };
  if (y1Title) scales.y1 = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: y1Title } };
  return new Chart(canvasIn(section, title), {
    type: 'line',
    data: { datasets: datasets.map((set, i) => ({ pointRadius: 0, borderWidth: 1.5, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], ...set })) },
    options: { maintainAspectRatio: false, parsing: false, scales, plugins: { marks: { marks: runMarks } } },
  });
}
const summary = document.getElementById('summary');
if (data.summary.length > 0) {
  new Chart(canvasIn(summary, 'Requests per second (bars) and p99 latency (line) against API replicas, the median run'), {
    data: {
      labels: data.summary.map((s) => s.replicas + ' replica' + (s.replicas === 1 ? '' : 's')),
      datasets: [
        { type: 'bar', label: 'requests/s', data: data.summary.map((s) => s.requestsPerSecond), backgroundColor: colors[0], yAxisID: 'y' },
        { type: 'line', label: 'p99 ms', data: data.summary.map((s) => s.p99Ms), borderColor: colors[2], backgroundColor: colors[2], yAxisID: 'y1' },
        ...(data.summary.some((s) => s.openP99Ms !== null)
          ? [{ type: 'line', label: 'p99 ms, open model', data: data.summary.map((s) => s.openP99Ms), borderColor: colors[1], backgroundColor: colors[1], borderDash: [5, 3], yAxisID: 'y1' }]
          : []),
      ],
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: 'requests/s' } }, y1: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'p99 ms' } } } },
  });
}
if (data.bars.length > 0) {
  new Chart(canvasIn(summary, 'Where a request\'s time goes: the client\'s mean latency in parts, ms per request'), {
    type: 'bar',
    data: {
      labels: data.bars.map((b) => b.label),
      datasets: data.parts.map((part, i) => ({ label: part, data: data.bars.map((b) => b.parts[part]), backgroundColor: colors[i % colors.length] })),
    },
    options: { maintainAspectRatio: false, indexAxis: 'y', scales: { x: { stacked: true, title: { display: true, text: 'ms per request' } }, y: { stacked: true } } },
  });
}
const runs = document.getElementById('runs');
for (const run of data.runs) {
  const section = document.createElement('section');
  const heading = document.createElement('h3');
  heading.textContent = run.title;
  section.appendChild(heading);
  runs.appendChild(section);
  const t = run.timeline;
  line(section, 'Load: requests/s (left), p50 and p99 ms (right)', [
    { label: 'requests/s', data: t.load.map((s) => ({ x: s.second, y: s.requests })), yAxisID: 'y' },
    { label: 'p50 ms', data: t.load.map((s) => ({ x: s.second, y: s.p50Ms })), yAxisID: 'y1' },
    { label: 'p99 ms', data: t.load.map((s) => ({ x: s.second, y: s.p99Ms })), yAxisID: 'y1' },
  ], 'requests/s', run.marks, 'ms');
  const tiers = [...new Set(t.tiers.flatMap((s) => Object.keys(s.tiers)))].sort();
  line(section, 'CPU per tier (100% = one core)', tiers.map((tier) => ({ label: tier, data: t.tiers.filter((s) => s.tiers[tier]).map((s) => ({ x: s.second, y: s.tiers[tier].cpuPercent })) })), 'CPU %', run.marks);
  line(section, 'Memory per tier (MiB)', tiers.map((tier) => ({ label: tier, data: t.tiers.filter((s) => s.tiers[tier]).map((s) => ({ x: s.second, y: s.tiers[tier].memoryBytes / 1048576 })) })), 'MiB', run.marks);
  line(section, 'Queues: HAProxy queued, PgBouncer clients waiting, Postgres backends active', [
    { label: 'HAProxy queue', data: t.queues.filter((s) => s.haproxyQueue !== null).map((s) => ({ x: s.second, y: s.haproxyQueue })) },
    { label: 'PgBouncer waiting', data: t.queues.filter((s) => s.pgbouncerWaiting !== null).map((s) => ({ x: s.second, y: s.pgbouncerWaiting })) },
    { label: 'Postgres active', data: t.queues.filter((s) => s.postgresActive !== null).map((s) => ({ x: s.second, y: s.postgresActive })) },
  ], 'count', run.marks);
}
document.body.dataset.charts = String(document.querySelectorAll('canvas').length);
`;

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 1200px; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.5rem 0 0.5rem; }
#runs section { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5rem 1.5rem; }
#runs section h3 { grid-column: 1 / -1; }
figure { margin: 0; } figcaption { font-size: 0.85rem; color: #555; }
.chart { position: relative; height: 240px; } #summary .chart { height: 300px; }
`;

/** The page's HTML: the library, the figures and the drawing script inlined. */
export function renderHtml(results: BenchResults, library: string): string {
  const data = pageData(results);
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escape(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    `<script>${scriptText(library)}</script>`,
    '</head>',
    '<body>',
    `<h1>${escape(data.title)}</h1>`,
    `<p>${escape(results.command)}; the figures are in results.json and report.md beside this page.</p>`,
    '<h2>Summary</h2>',
    '<div id="summary"></div>',
    '<h2>Each run, second by second</h2>',
    '<div id="runs"></div>',
    `<script type="application/json" id="figures">${scriptText(JSON.stringify(data))}</script>`,
    `<script>${scriptText(DRAW)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
