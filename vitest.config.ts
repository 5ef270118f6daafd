import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Says which test groups are skipped for a missing tool (python3, chromium), and why; gives the run
    // one temporary folder, removed at its end.
    globalSetup: ['tests/support/skip-notices.ts', 'tests/support/temp-root.ts'],
    // Test files share a worker's module graph (the CLI, registries, templates): loading them once per
    // worker instead of once per file keeps the suite within its 3-minute budget on two cores.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
