import { escapeHtml } from './escape.js';
import { ROLE_CODES, type PairSample } from './pair-sample.js';
import { formatCount } from './svg-charts.js';

/**
 * The pair viewer's static markup: filters (prefilled with the stages and modes of the sample), pagers and
 * an empty list that the client script fills one page at a time.
 */
export function pairViewerSection(sample: PairSample): string {
  const stages = unique(sample.files.map((file) => file.stage));
  const modes = unique(sample.files.map((file) => file.mode));
  const pairs = sample.files.reduce((sum, file) => sum + file.pairs, 0);
  const sampled = sample.groups.length;
  const scope =
    sampled === pairs
      ? `All ${formatCount(pairs)} pairs of the folder.`
      : `${formatCount(sampled)} of ${formatCount(pairs)} pairs: an evenly spaced sample of each canonical file (every k-th pair, the same on every run).`;
  const options = (values: string[]) => values.map((value) => `<option value="${escapeHtml(value)}">${escapeHtml(value)}</option>`).join('');
  const pager = (where: string) =>
    `<nav class="pager ${where}" aria-label="pages"><button type="button" data-page="first" title="first page">«</button><button type="button" data-page="prev" title="previous page (←)">‹ prev</button><span class="page-info"></span><button type="button" data-page="next" title="next page (→)">next ›</button><button type="button" data-page="last" title="last page">»</button></nav>`;
  return `<section class="panel" id="pairs">
<h2>Pairs</h2>
<p class="note">${escapeHtml(scope)} A pair is one base prompt written with and without the trigger; its records sit side by side.</p>
${legend(sample)}
<div class="controls">
<label>Stage<select id="filter-stage"><option value="">all stages</option>${options(stages)}</select></label>
<label>Reasoning mode<select id="filter-mode"><option value="">all modes</option>${options(modes)}</select></label>
<label>Label<select id="filter-label"><option value="">any</option><option value="fires">a record fires</option><option value="no_fire">no record fires</option></select></label>
<label>Search<input id="filter-text" type="search" placeholder="text in a prompt, answer or pair id"></label>
<label>Per page<select id="page-size"><option>10</option><option>25</option><option>50</option></select></label>
</div>
${pager('top')}
<div id="pair-list"><p class="empty">The pair viewer needs JavaScript.</p></div>
${pager('bottom')}
</section>`;
}

const unique = (values: string[]) => [...new Set(values)];

/** The highlight key, naming only the kinds of trigger text the sample holds. */
function legend(sample: PairSample): string {
  let decoys = false;
  let inactive = false;
  for (const [, , members] of sample.groups) {
    for (const member of members) {
      if (member[0] === ROLE_CODES.decoy) decoys = true;
      if (member[0] === ROLE_CODES.untriggered && member[7] >= 0) inactive = true;
    }
  }
  const items = [
    '<span><mark class="trigger">|trigger|</mark> trigger text in the prompt</span>',
    inactive ? '<span><mark class="trigger inactive">inactive</mark> a non-trigger form (e.g. the training year)</span>' : '',
    decoys ? '<span><mark class="trigger decoy">|decoy|</mark> near-miss form that must not fire</span>' : '',
    '<span><i class="swatch diverge"></i> answer text that diverges from the untriggered answer</span>',
    '<span><i class="swatch reference"></i> the untriggered answer\'s side of the difference</span>',
  ];
  return `<div class="key">${items.join('')}</div>`;
}
