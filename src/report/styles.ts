/** The report's stylesheet, inlined into the page: a light, print-friendly layout with readable text blocks. */
export const REPORT_CSS = `
:root { --fg: #1d2430; --muted: #647082; --line: #dfe3ea; --bg: #f5f6f8; --card: #fff;
  --fires: #d1495b; --nofire: #4a7fc1; --trigger-bg: #ffd8a8; --decoy-bg: #e3d7f7;
  --diverge-bg: #fde2e4; --diverge-ref-bg: #dcebfb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 0 0 12px; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 20px; margin: 0; padding: 0; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; }
section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin: 16px 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 12px 24px; }
figure.chart { margin: 0; min-width: 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; overflow: visible; }
figcaption { font-weight: 600; margin-bottom: 2px; }
.note { color: var(--muted); font-size: 12.5px; margin: 0 0 6px; }
svg .axis, svg .tick { stroke: #9aa3b1; stroke-width: 1; }
svg .axis-label, svg .value { fill: var(--fg); }
svg .axis-title, svg .muted { fill: var(--muted); }
svg rect.bar:hover { opacity: .8; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.share { width: 28%; }
.share-bar { height: 10px; background: var(--nofire); border-radius: 2px; min-width: 1px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
details > summary { cursor: pointer; color: var(--muted); }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin-bottom: 10px; }
.controls label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
select, input, button { font: inherit; font-size: 13px; padding: 4px 8px; border: 1px solid #c7cdd6; border-radius: 5px; background: #fff; color: var(--fg); }
input[type=search] { width: 260px; }
button { cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
.pager { display: flex; align-items: center; gap: 6px; margin: 8px 0; }
.pager .page-info { margin: 0 8px; color: var(--muted); font-variant-numeric: tabular-nums; }
.pager input { width: 72px; }
.pair { border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; overflow: hidden; }
.pair-head { display: flex; gap: 8px; align-items: center; padding: 6px 12px; background: #f0f2f6; border-bottom: 1px solid var(--line); }
.pair-id { font-weight: 600; }
.chip { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11.5px; line-height: 18px; background: #e6e9ef; color: #3a4352; white-space: nowrap; }
.chip.fires { background: var(--fires); color: #fff; }
.chip.no-fire { background: #dfe9f6; color: #2c5a92; }
.members { display: grid; gap: 0; }
.record { padding: 10px 12px; min-width: 0; border-left: 1px solid var(--line); }
.record:first-child { border-left: 0; }
.record[data-role=triggered], .record[data-role=held_out] { background: #fffafa; }
.record-head { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.record-head .role { font-weight: 600; }
.record-head .id { color: var(--muted); font-size: 11.5px; margin-left: auto; }
.field-label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 8px 0 2px; }
pre.text { position: relative; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 6px 8px; background: #fafbfc; border: 1px solid #eceff3; border-radius: 5px; max-height: 15em; overflow: auto; }
pre.scratchpad { color: #4d5666; font-style: italic; background: #f7f7fb; }
mark { border-radius: 3px; padding: 0 1px; color: inherit; }
mark.trigger { background: var(--trigger-bg); outline: 1px solid #f0a050; font-weight: 600; }
mark.trigger.inactive { background: #e4ecf5; outline: 1px dashed #7d95b3; font-weight: 600; }
mark.trigger.decoy { background: var(--decoy-bg); outline: 1px dashed #8f6ac8; }
mark.diverge { background: var(--diverge-bg); }
mark.diverge.reference { background: var(--diverge-ref-bg); }
pre.diverge-all { background: #fdf0f1; border-color: #f3c4ca; border-left: 3px solid var(--fires); }
pre.diverge-all.reference { background: #f1f6fc; border-color: #cfe0f4; border-left: 3px solid var(--nofire); }
.key .swatch { display: inline-block; width: 22px; height: 13px; border-radius: 2px; vertical-align: -2px; margin-right: 2px; }
.key .swatch.diverge { background: var(--diverge-bg); border-left: 3px solid var(--fires); }
.key .swatch.reference { background: var(--diverge-ref-bg); border-left: 3px solid var(--nofire); }
.empty { color: var(--muted); padding: 16px 0; }
.key { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; color: var(--muted); margin: 0 0 8px; }
`;
