import { randomInt } from "node:crypto";
import { createAwsClients, type AwsClients } from "../../src/aws/clients.js";
import type { StackInfo } from "./stack.js";

/**
 * A fresh 12-digit account id per test: the proxy turns a 12-digit access key into moto's
 * `x-moto-account-id`, so parallel tests never see each other's AWS resources or call counts.
 */
export function uniqueAccountId(): string {
  return `9${String(randomInt(0, 1e11)).padStart(11, "0")}`;
}

export function testAwsClients(stack: StackInfo, accountId: string, maxAttempts?: number): AwsClients {
  return createAwsClients({
    region: stack.region,
    endpoint: stack.awsEndpoint,
    credentials: { accessKeyId: accountId, secretAccessKey: "test" },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}
