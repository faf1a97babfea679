// One integration test file's world, set up the same way everywhere: the shared stack, a Kubernetes
// namespace and an AWS account of its own (so files run in parallel), clients for that account
// through the counting proxy, and the operator as a process watching the namespace.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, inject } from "vitest";
import type { AwsClients } from "../../src/aws/clients.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { AwsProxyControl } from "./aws-proxy-control.js";
import { testAwsClients, uniqueAccountId } from "./aws.js";
import { apply, createTestNamespace, getObject, waitForCondition } from "./kube.js";
import { startOperatorProcess, type OperatorProcess, type OperatorProcessOptions } from "./operator-process.js";
import type { StackInfo } from "./stack.js";

export interface TestEnvironmentOptions extends Omit<OperatorProcessOptions, "accountId" | "namespaces"> {
  /** Start the operator in beforeAll (default true). */
  startOperator?: boolean;
}

export interface TestEnvironment {
  readonly stack: StackInfo;
  readonly proxy: AwsProxyControl;
  readonly accountId: string;
  /** SDK clients of the file's account, through the proxy (their calls are counted). */
  readonly aws: AwsClients;
  /** The file's namespace (from beforeAll on). */
  readonly namespace: string;
  /** The operator running now (from beforeAll on, unless startOperator is false). */
  readonly operator: OperatorProcess;
  /** Starts an operator for the file's account and namespace (after a stop or kill of the last one). */
  startOperator(overrides?: Partial<OperatorProcessOptions>): Promise<OperatorProcess>;
  /** kubectl apply of manifests (YAML or JSON text), namespaced in the file's namespace unless they say otherwise. */
  apply(manifest: string): string;
  get<T extends ManagedObject>(plural: string, name: string): Promise<T | undefined>;
  /** Waits until the object is Ready=True for its current generation. */
  ready<T extends ManagedObject>(plural: string, name: string, timeoutMs?: number): Promise<T>;
}

/** Registers beforeAll/afterAll for the calling test file and returns its environment. */
export function useTestEnvironment(prefix: string, options: TestEnvironmentOptions = {}): TestEnvironment {
  const stack = inject("stack");
  const accountId = uniqueAccountId();
  const { startOperator: start = true, ...operatorOptions } = options;
  let namespace: string | undefined;
  let operator: OperatorProcess | undefined;
  const running = new Set<OperatorProcess>();

  const env: TestEnvironment = {
    stack,
    proxy: new AwsProxyControl(stack.awsEndpoint),
    accountId,
    aws: testAwsClients(stack, accountId),
    get namespace() {
      if (namespace === undefined) throw new Error("the test namespace exists from beforeAll on");
      return namespace;
    },
    get operator() {
      if (operator === undefined) throw new Error("no operator has been started");
      return operator;
    },
    async startOperator(overrides = {}) {
      const started = await startOperatorProcess(stack, { accountId, namespaces: [env.namespace], ...operatorOptions, ...overrides });
      running.add(started);
      void started.exited.then(() => running.delete(started));
      operator = started;
      return started;
    },
    apply: (manifest) => apply(stack, manifest),
    get: (plural, name) => getObject(stack, plural, env.namespace, name),
    ready: (plural, name, timeoutMs) => waitForCondition(stack, plural, env.namespace, name, { type: "Ready", status: "True" }, timeoutMs),
  };

  beforeAll(async () => {
    namespace = await createTestNamespace(stack, prefix);
    if (start) await env.startOperator();
  });

  afterAll(async () => {
    // One that has not exited well after the operator's own shutdown limit (20 s) is killed: a
    // shutdown that hangs (what operator-shutdown.test.ts looks for) must not hold the teardown.
    await Promise.all(
      [...running].map(async (op) => {
        if ((await Promise.race([op.stop(), sleep(30_000, "hung" as const, { ref: false })])) === "hung") await op.kill();
      }),
    );
  });

  return env;
}
