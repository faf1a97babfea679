import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Most of an integration file's time is spent waiting for the operator and the local AWS (CPU
    // user time was a third of the wall time), so more files than cores run at once: vitest's
    // default on a 2-core machine is one at a time. A root-only option; the reliability project
    // keeps one fork (singleFork).
    poolOptions: { forks: { maxForks: 4, minForks: 1 } },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/env/global-setup.ts"],
          // Files run in parallel against the shared stack (up to the root's maxForks); each
          // isolates itself by namespace and AWS account id.
          pool: "forks",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The long reliability scenarios (docs/reliability.md): `make test-reliability`.
          name: "reliability",
          include: ["test/reliability/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/env/global-setup.ts"],
          // One scenario at a time, in one process: each loads the machine on purpose (kills,
          // faults, restarts), and their timings are what docs/reliability.md reports.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 20 * 60_000,
          hookTimeout: 5 * 60_000,
        },
      },
    ],
  },
});
