// API server faults, long version (promise 1): three kube-apiserver restarts, two etcd restarts,
// five cuts of the operator's connections and three partitions. The short version is
// test/integration/reliability-apiserver-faults.test.ts.
import { describe, inject, it } from "vitest";
import { apiServerFaults } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability: API server faults", () => {
  it("survives kube-apiserver and etcd restarts, cut watches and partitions, and applies every change made around them", async () => {
    await apiServerFaults(stack, { restarts: 3, etcdRestarts: 2, downMs: 3000, cuts: 5, partitions: 3, partitionMs: 4000 });
  });
});
