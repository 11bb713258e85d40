/**
 * A hand-written SVG line chart of latency percentiles: x = percentile (p50, p90, p99,
 * p99.9, max, evenly spaced, which is a log scale of 1/(1-p) for the first four), y =
 * latency in ms on a log scale, one line per series. No dependencies; the output is a
 * standalone SVG that GitHub and browsers render.
 */

export interface ChartSeries {
  label: string;
  /** One value per x label, ms (values <= 0 are drawn at the axis floor). */
  values: number[];
}

const W = 760;
const H = 440;
const M = { left: 80, right: 250, top: 40, bottom: 50 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmtMs(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toPrecision(3))} s`;
  if (v >= 1) return `${Number(v.toPrecision(3))} ms`;
  return `${Number((v * 1000).toPrecision(3))} µs`;
}

export function renderLatencyChart(title: string, xLabels: readonly string[], series: readonly ChartSeries[], subtitle = ''): string {
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 1) * 1.0001)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number): number => M.left + (xLabels.length === 1 ? pw / 2 : (i * pw) / (xLabels.length - 1));
  const y = (v: number): number => {
    const c = Math.max(v, lo);
    return M.top + ph - ((Math.log10(c) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${M.left}" y="34" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  // Horizontal grid: every decade, with 2x and 5x minor lines.
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(d).toFixed(1)}" y2="${y(d).toFixed(1)}" stroke="#bbb"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end">${esc(fmtMs(d))}</text>`);
    for (const m of [2, 5]) if (d * m < hi) out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(d * m).toFixed(1)}" y2="${y(d * m).toFixed(1)}" stroke="#eee"/>`);
  }
  xLabels.forEach((l, i) => {
    out.push(`<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(i).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(l)}</text>`);
  });
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">percentile</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">latency (log scale)</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const dash = DASHES[Math.floor(k / COLORS.length) % DASHES.length]!;
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    s.values.forEach((v, i) => out.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.label} ${xLabels[i]}: ${fmtMs(v)}`)}</title></circle>`));
    const ly = M.top + 10 + k * 18;
    const lx = M.left + pw + 14;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}" font-size="11">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
