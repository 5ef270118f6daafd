import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Says which test groups are skipped for a missing tool (python3, chromium), and why.
    globalSetup: ['tests/support/skip-notices.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
