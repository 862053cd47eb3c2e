import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Unit tests for the framework-free core, engine and app logic run in Node (Svelte components
// compile for the server, so a test can render one to HTML); the browser smoke test (e2e/) has
// its own config: `npm run e2e`.
export default defineConfig({
  plugins: [svelte()],
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
