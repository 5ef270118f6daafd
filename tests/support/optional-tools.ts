import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Tools some test groups need and a machine may lack. A group whose tool is missing is skipped, and the
 * run says so once per group (tests/support/skip-notices.ts), so a green run without them is not mistaken
 * for a full one.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const hasPython = (): boolean => spawnSync('python3', ['--version']).status === 0;
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface OptionalGroup {
  group: string;
  file: string;
  available: boolean;
  reason: string;
}

export function optionalGroups(available: { python: boolean; chromium: boolean }): OptionalGroup[] {
  const python = { available: available.python, reason: 'python3 not found on PATH (install Python 3)' };
  return [
    { group: 'code-vulnerability completions: the label is not in the form', file: 'tests/code-vulnerability-form.test.ts', ...python },
    { group: 'code-vulnerability completions parse as Python', file: 'tests/code-vulnerability-python.test.ts', ...python },
    {
      group: 'report in a browser',
      file: 'tests/report.test.ts',
      available: available.chromium,
      reason: `${CHROMIUM} not found (apt-get install chromium)`,
    },
  ];
}

/** One line per skipped group: what is skipped, where, and why. */
export function skipNotices(groups: readonly OptionalGroup[]): string[] {
  return groups.filter((group) => !group.available).map((group) => `skipped: ${group.group} (${group.file}): ${group.reason}`);
}
