import type { Bin } from './bins.js';
import { escapeHtml } from './escape.js';

/**
 * Hand-written inline SVG charts, rendered when the report is written: the page shows them before any
 * script runs, needs no charting library, and every bar is a <rect class="bar"> with a <title> tooltip.
 * All label text passes through escapeHtml (category names come from the data).
 */

export interface Series {
  name: string;
  color: string;
}

export interface BarRow {
  label: string;
  values: number[];
}

export interface ChartFrame {
  /** Stable name for tests and styling: data-chart="...". */
  id: string;
  title: string;
  /** One line under the title saying what is counted. */
  note?: string;
}

const WIDTH = 480;
const FONT = 12;

export const formatCount = (value: number): string => value.toLocaleString('en-US');

const percent = (part: number, whole: number): string => (whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(part * 1000 < whole ? 2 : 1)}%`);

/** Horizontal bars, one row per category, stacked by series; the total and its share at the end of each row. */
export function barChart(frame: ChartFrame, series: Series[], rows: BarRow[]): string {
  const rowHeight = 24;
  const labelWidth = Math.min(150, 16 + 7 * Math.max(4, ...rows.map((row) => row.label.length)));
  const valueWidth = 112;
  const plotWidth = WIDTH - labelWidth - valueWidth;
  const totals = rows.map((row) => row.values.reduce((sum, value) => sum + value, 0));
  const max = Math.max(1, ...totals);
  const grand = totals.reduce((sum, value) => sum + value, 0);
  const height = rows.length * rowHeight + 4;
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const y = 2 + r * rowHeight;
    parts.push(`<text class="axis-label" x="${labelWidth - 8}" y="${y + rowHeight / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(row.label)}</text>`);
    let x = labelWidth;
    row.values.forEach((value, s) => {
      if (value === 0) return;
      const width = Math.max(1, (plotWidth * value) / max);
      const name = series[s]?.name ?? '';
      const tip = `${row.label}${name ? ` · ${name}` : ''}: ${formatCount(value)} (${percent(value, totals[r]!)} of the row)`;
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${y + 4}" width="${width.toFixed(1)}" height="${rowHeight - 8}" rx="2" fill="${series[s]?.color ?? '#888'}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      x += width;
    });
    parts.push(
      `<text class="value" x="${x + 6}" y="${y + rowHeight / 2}" dominant-baseline="middle">${formatCount(totals[r]!)} <tspan class="muted">${percent(totals[r]!, grand)}</tspan></text>`,
    );
  });
  return figure(frame, series, svg(WIDTH, height, parts.join('')));
}

/** Vertical stacked bars over numeric bins, with a few x ticks and the tallest bar's count on the y axis. */
export function histogram(frame: ChartFrame & { xLabel: string }, series: Series[], bins: Bin[], formatEdge: (edge: number) => string = String): string {
  const left = 48;
  const bottom = 34;
  const top = 8;
  const plotHeight = 150;
  const plotWidth = WIDTH - left - 10;
  const height = top + plotHeight + bottom;
  const totals = bins.map((bin) => bin.values.reduce((sum, value) => sum + value, 0));
  const max = Math.max(1, ...totals);
  const barWidth = bins.length === 0 ? 0 : plotWidth / bins.length;
  const parts: string[] = [
    `<line class="axis" x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}"/>`,
    `<text class="axis-label" x="${left - 6}" y="${top + 4}" text-anchor="end" dominant-baseline="middle">${formatCount(max)}</text>`,
    `<text class="axis-label" x="${left - 6}" y="${top + plotHeight}" text-anchor="end" dominant-baseline="middle">0</text>`,
  ];
  bins.forEach((bin, b) => {
    let y = top + plotHeight;
    const x = left + b * barWidth;
    const range = bin.overflow ? `≥ ${formatEdge(bin.from)}` : `${formatEdge(bin.from)}–${formatEdge(bin.to)}`;
    bin.values.forEach((value, s) => {
      if (value === 0) return;
      const h = Math.max(1, (plotHeight * value) / max);
      y -= h;
      const name = series[s]?.name ?? '';
      const tip = `${range} ${frame.xLabel}${name ? ` · ${name}` : ''}: ${formatCount(value)}`;
      parts.push(
        `<rect class="bar" x="${(x + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${series[s]?.color ?? '#888'}"><title>${escapeHtml(tip)}</title></rect>`,
      );
    });
  });
  // About five ticks, on bin edges, so the labels are round numbers.
  const every = Math.max(1, Math.ceil(bins.length / 5));
  const lastBin = bins[bins.length - 1];
  bins.forEach((bin, b) => {
    if (b % every !== 0) return;
    const x = left + b * barWidth;
    // Leave room for the "≥" label of an overflow bin at the right end.
    if (lastBin?.overflow && left + plotWidth - x < 56) return;
    parts.push(`<line class="tick" x1="${x}" y1="${top + plotHeight}" x2="${x}" y2="${top + plotHeight + 4}"/>`);
    parts.push(`<text class="axis-label" x="${x}" y="${top + plotHeight + 14}" text-anchor="middle">${escapeHtml(formatEdge(bin.from))}</text>`);
  });
  if (lastBin?.overflow) {
    parts.push(`<text class="axis-label" x="${left + plotWidth}" y="${top + plotHeight + 14}" text-anchor="end">≥ ${escapeHtml(formatEdge(lastBin.from))}</text>`);
  }
  parts.push(`<text class="axis-title" x="${left + plotWidth / 2}" y="${height - 4}" text-anchor="middle">${escapeHtml(frame.xLabel)}</text>`);
  return figure(frame, series, svg(WIDTH, height, parts.join('')));
}

function svg(width: number, height: number, body: string): string {
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-size="${FONT}">${body}</svg>`;
}

/** The chart with its title, note and (for more than one series in use) a legend. */
function figure(frame: ChartFrame, series: Series[], chart: string): string {
  const legend =
    series.length > 1
      ? `<div class="legend">${series.map((s) => `<span><i style="background:${s.color}"></i>${escapeHtml(s.name)}</span>`).join('')}</div>`
      : '';
  const note = frame.note ? `<p class="note">${escapeHtml(frame.note)}</p>` : '';
  return `<figure class="chart" data-chart="${escapeHtml(frame.id)}"><figcaption>${escapeHtml(frame.title)}</figcaption>${note}${chart}${legend}</figure>`;
}
