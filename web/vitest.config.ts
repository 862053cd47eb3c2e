import { defineConfig } from 'vitest/config';

// Unit tests for the framework-free core and engine run in Node; pixel tests in Chromium come later.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
