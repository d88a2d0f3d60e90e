/**
 * Tiny SVG charts for the report (step lines and grouped bars). Hand-written: a chart library would be
 * a new dependency for three pictures, and plain SVG renders on GitHub as is.
 */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axes(f: Frame, title: string, xLabel: string, yLabel: string, xMax: number, yMax: number, xTicks: number[], yTicks: number[], xTickLabel = fmt): string[] {
  const x = (v: number) => f.left + (v / xMax) * (f.width - f.left - f.right);
  const y = (v: number) => f.height - f.bottom - (v / yMax) * (f.height - f.top - f.bottom);
  const out = [
    `<text x="${f.width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${f.left}" y1="${f.height - f.bottom}" x2="${f.width - f.right}" y2="${f.height - f.bottom}" stroke="#333"/>`,
    `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#333"/>`,
    `<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<text x="12" y="${(f.top + f.height - f.bottom) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(f.top + f.height - f.bottom) / 2})">${esc(yLabel)}</text>`,
  ];
  for (const t of xTicks) out.push(`<line x1="${x(t)}" y1="${f.height - f.bottom}" x2="${x(t)}" y2="${f.height - f.bottom + 4}" stroke="#333"/><text x="${x(t)}" y="${f.height - f.bottom + 15}" text-anchor="middle" font-size="10">${esc(xTickLabel(t))}</text>`);
  for (const t of yTicks) out.push(`<line x1="${f.left - 4}" y1="${y(t)}" x2="${f.width - f.right}" y2="${y(t)}" stroke="#ddd"/><text x="${f.left - 6}" y="${y(t) + 3}" text-anchor="end" font-size="10">${esc(fmt(t))}</text>`);
  return out;
}

function legend(f: Frame, names: string[], corner: 'top' | 'bottom' = 'top'): string[] {
  return names.map((n, i) => {
    const ly = corner === 'top' ? f.top + 4 + i * 14 : f.height - f.bottom - 8 - (names.length - i) * 14;
    const lx = f.width - f.right - 190;
    return `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">${esc(n)}</text>`;
  });
}

const ticks = (max: number, n = 5) => Array.from({ length: n + 1 }, (_, i) => (max / n) * i);

/** Step lines (empirical CDFs, cumulative counts over time). */
export function stepChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number; yMax?: number }): string {
  const f: Frame = { width: o.width ?? 640, height: o.height ?? 320, left: 56, right: 16, top: 28, bottom: 40 };
  const xMax = niceMax(Math.max(1e-9, ...o.series.flatMap((s) => s.points.map((p) => p[0]))));
  const yMax = o.yMax ?? niceMax(Math.max(1e-9, ...o.series.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (v: number) => f.left + (v / xMax) * (f.width - f.left - f.right);
  const y = (v: number) => f.height - f.bottom - (v / yMax) * (f.height - f.top - f.bottom);
  const body = axes(f, o.title, o.xLabel, o.yLabel, xMax, yMax, ticks(xMax), ticks(yMax));
  o.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    let d = `M${x(0).toFixed(1)},${y(0).toFixed(1)}`;
    let prev = 0;
    for (const [px, py] of pts) {
      d += ` L${x(px).toFixed(1)},${y(prev).toFixed(1)} L${x(px).toFixed(1)},${y(py).toFixed(1)}`;
      prev = py;
    }
    body.push(`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`);
  });
  body.push(...legend(f, o.series.map((s) => s.name), 'bottom'));
  return wrap(f, body);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(o: { title: string; yLabel: string; categories: string[]; series: { name: string; values: number[] }[]; width?: number; height?: number }): string {
  const f: Frame = { width: o.width ?? 720, height: o.height ?? 340, left: 56, right: 16, top: 28, bottom: 70 };
  const yMax = niceMax(Math.max(1e-9, ...o.series.flatMap((s) => s.values)));
  const y = (v: number) => f.height - f.bottom - (v / yMax) * (f.height - f.top - f.bottom);
  const body = axes(f, o.title, '', o.yLabel, 1, yMax, [], ticks(yMax));
  const groupW = (f.width - f.left - f.right) / o.categories.length;
  const barW = (groupW * 0.8) / o.series.length;
  o.categories.forEach((c, ci) => {
    const gx = f.left + ci * groupW + groupW * 0.1;
    o.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      body.push(`<rect x="${(gx + si * barW).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(f.height - f.bottom - y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.name} ${c}: ${fmt(v)}`)}</title></rect>`);
    });
    const cx = gx + groupW * 0.4;
    body.push(`<text x="${cx}" y="${f.height - f.bottom + 12}" text-anchor="end" font-size="10" transform="rotate(-30 ${cx} ${f.height - f.bottom + 12})">${esc(c)}</text>`);
  });
  body.push(...legend(f, o.series.map((s) => s.name)));
  return wrap(f, body);
}

function wrap(f: Frame, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}

/** Empirical CDF points of a sample: (value, fraction ≤ value). */
export function cdf(values: number[]): [number, number][] {
  const s = [...values].sort((a, b) => a - b);
  return s.map((v, i) => [v, (i + 1) / s.length]);
}
