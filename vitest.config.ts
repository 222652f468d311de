import { defineConfig } from 'vitest/config';

// One `vitest run` runs everything: unit tests next to the code (Node), component tests
// (happy-dom, declared per file with `// @vitest-environment happy-dom`), and integration /
// end-to-end tests under test/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
