import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: fuzzing, crash, two-process, disk-full and soak tests
// (test/reliability/*.rel.ts, docs/security.md). One file at a time (2 cores); a summary of
// figures is printed at the end by test/reliability/summary.ts.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.rel.ts'],
    environment: 'node',
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/reliability/summary.ts'],
    reporters: ['default'],
  },
});
