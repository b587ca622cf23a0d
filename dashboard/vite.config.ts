import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `buqi serve` will serve dist/ at /office/ (docs/office-api.md); a relative base works there and
// under any other prefix a reverse proxy gives it. `vite --mode preview-dev` swaps the server for
// the DEV-ONLY preview backend in dev/; __BUQI_PREVIEW__ is false in every other build, so the
// branch that imports it is dropped and dist/ holds none of it.
export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5174, strictPort: true },
  define: { __BUQI_PREVIEW__: JSON.stringify(mode === 'preview-dev') },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2021', sourcemap: false, chunkSizeWarningLimit: 2000 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
}));
