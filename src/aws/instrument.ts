import type { Client, MetadataBearer } from "@smithy/types";
import type { AwsCallOutcome } from "../runtime/metrics.js";
import { classifyAwsError } from "./errors.js";

export type AwsCallObserver = (call: { service: string; operation: string; outcome: AwsCallOutcome }) => void;

/**
 * Counts every AWS request attempt by operation and outcome. Added at the "finalizeRequest" step
 * so that each SDK retry is counted as the call it is (AWS bills and throttles attempts).
 */
export function instrumentClient(client: Client<object, MetadataBearer, unknown>, service: string, observe: AwsCallObserver): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? "Unknown").replace(/Command$/, "");
      try {
        const out = await next(args);
        observe({ service, operation, outcome: "success" });
        return out;
      } catch (err) {
        observe({ service, operation, outcome: classifyAwsError(err, operation).errorClass === "throttled" ? "throttled" : "error" });
        throw err;
      }
    },
    { step: "finalizeRequest", name: "ecsOperatorCallCounter", priority: "low" },
  );
}
