// Vite build of the console: `console/` → `dist/console`, served by `runyard up` at `/`.
// `npm run dev:console` serves it with hot reload and proxies the API to a running
// `runyard up` (RUNYARD_URL, default http://127.0.0.1:8686).
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.RUNYARD_URL ?? 'http://127.0.0.1:8686';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // No inline assets: the Content-Security-Policy allows only same-origin files.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: { proxy: { '/v1': api, '/openapi.json': api, '/healthz': api } },
});
