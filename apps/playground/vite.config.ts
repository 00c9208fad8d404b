import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources (as in tests), so the page needs no package build.
export default defineConfig({
  // Not a single-page app: a missing checkpoint file must be a 404, not index.html.
  appType: 'mpa',
  resolve: { conditions: ['@llmedit/source', ...defaultClientConditions] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  preview: { port: 4173, strictPort: false },
});
