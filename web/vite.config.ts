import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist and served by the NestJS app at /console/ (src/console/console.static.ts).
// In development (`npm run dev:web`) Vite serves with hot reload and proxies the API, so the
// session cookie stays same-origin there too.
const api = process.env.TOLLGATE_API ?? 'http://127.0.0.1:3000';
const proxied = ['/auth', '/me', '/v1', '/provider', '/finance', '/support', '/admin', '/pricing', '/console/settings.json'];

export default defineConfig({
  root: __dirname,
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { port: 5173, proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }])) },
});
