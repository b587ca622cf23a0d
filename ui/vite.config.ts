import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri window loads ui/dist. Relative base so file:// and tauri:// both work.
// `vite --mode preview-dev` swaps the Tauri bridge for a DEV-ONLY preview backend
// (ui/dev/preview-backend.ts); production builds never include it.
export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  // The preview backend reads ../examples; only that mode may look outside ui/.
  server: { port: 5173, strictPort: true, fs: { allow: mode === 'preview-dev' ? ['..'] : ['.'] } },
  define: {
    __BUQI_PREVIEW__: JSON.stringify(mode === 'preview-dev'),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
}));
