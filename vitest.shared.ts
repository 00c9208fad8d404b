import { defineConfig } from 'vitest/config';

/** Shared vitest settings: resolve workspace packages from source so tests need no build. */
export default defineConfig({
  resolve: { conditions: ['@llmedit/source'] },
  ssr: { resolve: { conditions: ['@llmedit/source'] } },
  test: { environment: 'node', testTimeout: 120_000, hookTimeout: 120_000, pool: 'forks' },
});
