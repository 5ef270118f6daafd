import { fileURLToPath } from 'node:url';
import { hasChromium, hasPython, optionalGroups, skipNotices } from './optional-tools.js';
import { readmeNotices } from './readme-notices.js';

/** Vitest global setup: after the last test, next to the summary it qualifies, one line for each group
 * skipped for a missing tool, so a green run without python3 or chromium is not mistaken for a full one;
 * and what the README test does not run as written (readme-notices.ts). */
export default function setup(): () => void {
  const notices = [
    ...skipNotices(optionalGroups({ python: hasPython(), chromium: hasChromium() })),
    ...readmeNotices(fileURLToPath(new URL('../..', import.meta.url))),
  ];
  return () => {
    for (const notice of notices) process.stderr.write(`${notice}\n`);
  };
}
