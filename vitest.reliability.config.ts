import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: fuzzing, crash, two-process, disk-full and soak tests
// (test/reliability/*.rel.ts, docs/security.md) and the OVS-DPDK end-to-end tests
// (test/ovs/*.rel.ts, docs/ovs-driver.md), and the console → agent → real QEMU end to end
// (test/qemu/*.rel.ts, docs/qemu-driver.md). One file at a time (2 cores); a summary of figures is
// printed at the end by test/reliability/summary.ts.
export default defineConfig({
  test: {
    // test/ovs: the OVS driver on a real private OVS-DPDK with testpmd (busy-polling DPDK processes:
    // one file at a time, never beside the main suite's workers).
    include: ['test/reliability/**/*.rel.ts', 'test/ovs/**/*.rel.ts', 'test/qemu/**/*.rel.ts'],
    environment: 'node',
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/reliability/summary.ts'],
    reporters: ['default'],
  },
});
