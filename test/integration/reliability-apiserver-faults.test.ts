// Short version of the API-server-faults scenario (promise 1); the long one is test/reliability/apiserver-faults.test.ts.
import { describe, inject, it } from "vitest";
import { apiServerFaults } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability (short): API server faults", () => {
  it("survives kube-apiserver and etcd restarts, cut watches and a partition, and applies every change made around them", async () => {
    await apiServerFaults(stack, { restarts: 1, etcdRestarts: 1, downMs: 2000, cuts: 1, partitions: 1, partitionMs: 2000 });
  }, 180_000);
});
