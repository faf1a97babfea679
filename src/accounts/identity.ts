import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import type { Logger } from "pino";
import { setTimeout as sleep } from "node:timers/promises";
import type { OperatorConfig } from "../config.js";

/**
 * The operator's own account id (sts:GetCallerIdentity, which needs no permission), written into
 * the status of the objects it serves there. Retried with backoff until STS answers: without it the
 * own account cannot be told apart from a granted one. Not asked when the own account is not offered.
 */
export async function ownAccountId(sts: STSClient, config: Pick<OperatorConfig, "ownAccount">, logger: Logger): Promise<string> {
  if (!config.ownAccount) return "";
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      if (out.Account) return out.Account;
      throw new Error("GetCallerIdentity returned no account");
    } catch (err) {
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn({ err, retryInMs: delayMs }, "cannot tell the operator's own AWS account yet (sts:GetCallerIdentity)");
      await sleep(delayMs);
    }
  }
}
