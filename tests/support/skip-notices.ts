import { hasChromium, hasPython, optionalGroups, skipNotices } from './optional-tools.js';

/** Vitest global setup: after the last test, next to the summary it qualifies, one line for each group
 * skipped for a missing tool, so a green run without python3 or chromium is not mistaken for a full one. */
export default function setup(): () => void {
  const notices = skipNotices(optionalGroups({ python: hasPython(), chromium: hasChromium() }));
  return () => {
    for (const notice of notices) process.stderr.write(`${notice}\n`);
  };
}
