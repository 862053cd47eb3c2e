import { defineConfig } from 'vitest/config';

// The browser smoke test: starts accord-server on a fresh data dir and drives Debian Chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
