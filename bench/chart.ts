/** One replica count's figures on the chart. */
export interface ChartPoint {
  replicas: number;
  /** Closed-model throughput and p99. */
  requestsPerSecond: number;
  p99Ms: number;
  /** p99 of the open-model run (requests arriving at a fixed rate below capacity); absent or NaN when not run. */
  openP99Ms?: number;
}

/** Axis ticks from 0 to a round top value at or above `max`: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(max: number, targetCount = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / targetCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function label(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

const WIDTH = 800;
const HEIGHT = 340;
const PANEL = { width: 360, top: 50, bottom: 280, left: 60 };

interface Series {
  name: string;
  color: string;
  values: number[];
}

interface Panel {
  title: string;
  series: Series[];
  offsetX: number;
}

function renderPanel(panel: Panel, replicas: number[]): string {
  const finite = panel.series.flatMap((series) => series.values).filter((value) => Number.isFinite(value));
  const ticks = niceTicks(finite.length === 0 ? 0 : Math.max(...finite));
  const top = ticks[ticks.length - 1] as number;
  const step = (ticks[1] as number) - (ticks[0] as number);
  const tickDecimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
  const plotLeft = panel.offsetX + PANEL.left;
  const plotRight = panel.offsetX + PANEL.width;
  const y = (value: number): number => PANEL.bottom - (value / top) * (PANEL.bottom - PANEL.top);
  // Replica counts are categories spread evenly, so 1, 2, 4 read as steps rather than a linear scale.
  const x = (index: number): number =>
    replicas.length === 1 ? (plotLeft + plotRight) / 2 : plotLeft + 30 + (index * (plotRight - plotLeft - 60)) / (replicas.length - 1);

  const grid = ticks
    .map((tick) => {
      const ty = y(tick).toFixed(1);
      return [
        `<line x1="${plotLeft}" y1="${ty}" x2="${plotRight}" y2="${ty}" stroke="#e3e3e3"/>`,
        `<text x="${plotLeft - 8}" y="${ty}" text-anchor="end" dominant-baseline="middle">${tick.toFixed(tickDecimals)}</text>`,
      ].join('');
    })
    .join('\n    ');
  const xLabels = replicas
    .map((count, index) => `<text x="${x(index).toFixed(1)}" y="${PANEL.bottom + 20}" text-anchor="middle">${count}</text>`)
    .join('');
  const drawn = panel.series.map((series) => {
    const points = series.values.flatMap((value, index) => (Number.isFinite(value) ? [{ px: x(index), py: y(value), value }] : []));
    const line =
      points.length > 1
        ? `<polyline fill="none" stroke="${series.color}" stroke-width="2.5" points="${points.map((p) => `${p.px.toFixed(1)},${p.py.toFixed(1)}`).join(' ')}"/>`
        : '';
    const dots = points
      .map(
        (p) =>
          `<circle cx="${p.px.toFixed(1)}" cy="${p.py.toFixed(1)}" r="4.5" fill="${series.color}"/>` +
          `<text x="${p.px.toFixed(1)}" y="${(p.py - 10).toFixed(1)}" text-anchor="middle" font-weight="bold">${label(p.value)}</text>`,
      )
      .join('\n    ');
    return { line, dots, shown: points.length > 0 };
  });
  // A legend only where a panel has more than one series with something to show.
  const legend =
    drawn.filter((series) => series.shown).length > 1
      ? panel.series
          .map(
            (series, index) =>
              `<rect x="${plotLeft + 10}" y="${PANEL.top + 4 + index * 16}" width="10" height="10" fill="${series.color}"/>` +
              `<text x="${plotLeft + 26}" y="${PANEL.top + 13 + index * 16}">${escapeXml(series.name)}</text>`,
          )
          .join('\n    ')
      : '';
  const line = drawn.map((series) => series.line).join('');
  const dots = drawn.map((series) => series.dots).filter((text) => text !== '').join('\n    ');
  return `  <g>
    <text x="${(plotLeft + plotRight) / 2}" y="${PANEL.top - 22}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>
    ${grid}
    <line x1="${plotLeft}" y1="${PANEL.bottom}" x2="${plotRight}" y2="${PANEL.bottom}" stroke="#555"/>
    <line x1="${plotLeft}" y1="${PANEL.top}" x2="${plotLeft}" y2="${PANEL.bottom}" stroke="#555"/>
    ${xLabels}
    <text x="${(plotLeft + plotRight) / 2}" y="${PANEL.bottom + 44}" text-anchor="middle">API replicas</text>
    ${line}
    ${dots}
    ${legend}
  </g>`;
}

/**
 * A standalone SVG: requests/s (left) and p99 latency (right) against the number of API replicas; the p99 panel
 * shows the closed-model runs and, when measured, the open-model run beside them.
 */
export function renderChart(points: readonly ChartPoint[]): string {
  const sorted = [...points].sort((a, b) => a.replicas - b.replicas);
  const replicas = sorted.map((point) => point.replicas);
  const panels: Panel[] = [
    { title: 'Requests per second', series: [{ name: 'closed model', color: '#1f6fb2', values: sorted.map((p) => p.requestsPerSecond) }], offsetX: 10 },
    {
      title: 'p99 latency (ms)',
      series: [
        { name: 'closed model', color: '#c2491d', values: sorted.map((p) => p.p99Ms) },
        { name: 'open model', color: '#2e8b57', values: sorted.map((p) => p.openP99Ms ?? Number.NaN) },
      ],
      offsetX: 410,
    },
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12" fill="#222">
  <title>Requests per second and p99 latency against API replicas</title>
  <rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>
${panels.map((panel) => renderPanel(panel, replicas)).join('\n')}
</svg>
`;
}
