import { defineConfig } from 'vitest/config';

// The browser walk-throughs: Node drives Debian's Chromium (playwright-core) against the real demo.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['./test/browser/support/ensure-chromium.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // A page answers within a second on an idle machine; seven engineers' test runs share two cores.
    expect: { poll: { timeout: 15_000 } },
  },
});
