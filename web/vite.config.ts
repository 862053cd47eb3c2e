import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** Swagger UI for the server's /docs, from the pinned npm package into dist/docs-assets:
 * served by accord-server itself (no CDN, works offline, allowed by its script-src 'self'). */
function apiDocsAssets(): Plugin {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const files = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'];
  return {
    name: 'accord-api-docs-assets',
    apply: 'build',
    generateBundle() {
      for (const name of files) {
        this.emitFile({
          type: 'asset',
          fileName: `docs-assets/${name}`,
          source: readFileSync(join(dist, name)),
        });
      }
    },
  };
}

// The built app is served by accord-server from web/dist; in `vite dev` the API is proxied to it.
export default defineConfig({
  plugins: [svelte(), apiDocsAssets()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
});
