import type { TestProject } from "vitest/node";
import { startStack, type StackInfo } from "./stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

/** One control plane and one moto per test run, shared by every integration test file; files
 * isolate themselves with unique namespaces and AWS account ids (see aws.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string): void => {
    process.stdout.write(`[stack] ${line}\n`);
  };
  const stack = await startStack({ log });
  log(`kube-apiserver ${stack.info.kubernetesVersion} at ${stack.info.kubeServer}`);
  log(`moto ${stack.info.motoVersion} at ${stack.info.motoUrl}, through the AWS proxy at ${stack.info.awsEndpoint}`);
  project.provide("stack", stack.info);
  return () => stack.stop();
}
