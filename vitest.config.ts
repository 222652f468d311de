import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// One `vitest run` runs everything: unit tests next to the code (Node), component tests
// (happy-dom, declared per file with `// @vitest-environment happy-dom`), and integration /
// end-to-end tests under test/.
export default defineConfig({
  // Single-file components (.vue) in the renderer's component tests.
  plugins: [vue()],
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
