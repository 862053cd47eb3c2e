import { defineConfig } from 'vitest/config';

// Unit tests for the framework-free core, engine and app logic run in Node; the browser smoke
// test (e2e/) has its own config: `npm run e2e`.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
