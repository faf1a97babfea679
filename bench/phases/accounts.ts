import { CustomObjectsApi } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { GROUP, VERSION } from "../../src/api/common.js";
import { uniqueAccountId } from "../../test/env/aws.js";
import { callsByOperation, prepareDeployment, startOperatorFor, type Deployment, type RunContext } from "../context.js";
import { applyAll } from "../kube.js";
import { epochMs, round } from "../measure.js";
import { ACCOUNTS } from "../options.js";
import { bucketSpecs, floorOf } from "../rates.js";
import type { ThrottledResult } from "./throttled.js";

export interface AccountsResult {
  accounts: number;
  objects: number;
  /** From the first apply request to the last object converged, in every account. */
  seconds: number;
  /** The same fleet in one account under the same per-account rates: the throttled phase. */
  singleAccountSeconds: number | undefined;
  /** seconds / singleAccountSeconds (target <= 0.35; 1 / accounts is the ideal). */
  ratio: number | undefined;
  /** The least time the proxy's buckets allow: the slowest account's floor (rates are per account). */
  floorSeconds: number;
  /** seconds / floorSeconds. */
  floorRatio: number;
  /** When each account's part of the fleet had converged (s from the first apply) and its floor. */
  byAccount: { namespace: string; objects: number; seconds: number; floorSeconds: number; limitingClass: string; awsCalls: number; throttleErrors: number }[];
  throttleErrors: number;
  /** Objects whose Synced condition is False at the end (none should be). */
  objectsInError: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  cpuSeconds: number;
  heapMiB: Record<string, number>;
}

/** `k` of `parts` nearly equal shares of `total`, the larger ones first. */
const share = (total: number, parts: number, k: number): number => Math.floor(total / parts) + (k < total % parts ? 1 : 0);

/**
 * The fleet of the throttled phase spread over ACCOUNTS AWS accounts: one namespace per account,
 * granted it by an AwsAccount (the operator assumes a role there) as the namespace's default, so
 * the manifests are those of one account. The proxy enforces the same token buckets as in the
 * throttled phase, per account, as AWS does. The namespaces are applied at the same time, as four
 * teams' pipelines (or Argo CD applications) would, with the throttled phase's requests in flight
 * shared among them; the time to apply the fleet is then the same as in one account. (Applied one
 * after the other, the last account could start only once three quarters of the fleet were
 * applied, and the phase would measure the API server's apply rate; that the operator serves
 * accounts in turn whatever order their objects arrive in is the work queue's unit test.)
 */
export async function multiAccountConverge(ctx: RunContext, single: ThrottledResult | undefined): Promise<AccountsResult> {
  const suffix = randomBytes(3).toString("hex");
  const ownAccount = uniqueAccountId();
  const deps: Deployment[] = [];
  const custom = ctx.kc.makeApiClient(CustomObjectsApi);
  try {
    for (let k = 0; k < ACCOUNTS; k++) {
      const dep = await prepareDeployment(ctx, `acct${String(k)}`, { n: share(ctx.opts.n, ACCOUNTS, k), mix: share(ctx.opts.mix, ACCOUNTS, k) });
      deps.push(dep);
      const name = `bench-${suffix}-${String(k)}`;
      await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "awsaccounts",
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "AwsAccount",
          metadata: { name },
          spec: { roleArn: `arn:aws:iam::${dep.accountId}:role/ecs-operator`, regions: [ctx.stack.region], namespaces: { names: [dep.namespace] }, defaultFor: { names: [dep.namespace] } },
        },
      });
    }
    await ctx.proxy.setBuckets(bucketSpecs(ctx.opts.awsRates).map(({ match, ratePerSecond, burst }) => ({ match, ratePerSecond, burst })));
    const operator = await startOperatorFor(ctx, { accountId: ownAccount, namespaces: deps.map((d) => d.namespace) }, "accounts");
    try {
      for (const dep of deps) await ctx.proxy.reset(dep.accountId);
      const cpuBefore = operator.memory.cpuSeconds();
      const total = deps.reduce((n, d) => n + d.manifests.length, 0);
      const t0 = epochMs();
      const progress = setInterval(() => {
        ctx.log(`accounts: ${deps.map((d) => `${String(d.watch.readyCount())}/${String(d.manifests.length)}`).join(" ")} ready after ${String(Math.round((epochMs() - t0) / 1000))} s, operator RSS ${String(Math.round(operator.memory.rssMiB()))} MiB`);
      }, 15_000);
      let readyAt: number[];
      try {
        const perNamespace = Math.max(1, Math.floor(ctx.opts.applyConcurrency / deps.length));
        const applied = Promise.all(deps.map((d) => applyAll(ctx.kc, d.manifests, perNamespace)));
        readyAt = await Promise.race([
          Promise.all(deps.map((d) => d.watch.allConverged(d.manifests.length, ctx.opts.convergeTimeoutSeconds * 1000))),
          applied.then(() => new Promise<never>(() => undefined)),
        ]);
        await applied;
      } finally {
        clearInterval(progress);
      }
      const seconds = round((Math.max(...readyAt) - t0) / 1000);
      const byAccount = await Promise.all(
        deps.map(async (dep, k) => {
          const counts = await ctx.proxy.counts(dep.accountId);
          const floor = floorOf(callsByOperation(counts, dep.accountId, "forwarded"), ctx.opts.awsRates);
          const calls = Object.values(counts[dep.accountId] ?? {});
          return {
            namespace: dep.namespace,
            objects: dep.manifests.length,
            seconds: round(((readyAt[k] ?? t0) - t0) / 1000),
            floorSeconds: round(floor.seconds),
            limitingClass: floor.limitingClass,
            awsCalls: calls.reduce((n, c) => n + c.calls, 0),
            throttleErrors: calls.reduce((n, c) => n + c.throttled, 0),
          };
        }),
      );
      const floorSeconds = Math.max(...byAccount.map((a) => a.floorSeconds));
      return {
        accounts: ACCOUNTS,
        objects: total,
        seconds,
        singleAccountSeconds: single?.seconds,
        ratio: single ? round(seconds / single.seconds, 2) : undefined,
        floorSeconds,
        floorRatio: round(seconds / Math.max(floorSeconds, 1e-9), 2),
        byAccount,
        throttleErrors: byAccount.reduce((n, a) => n + a.throttleErrors, 0),
        objectsInError: deps.reduce((n, d) => n + d.watch.inError().length, 0),
        rssPeakMiB: round(operator.memory.peakMiB()),
        rssEndMiB: round(operator.memory.rssMiB()),
        heapMiB: await operator.heap(),
        cpuSeconds: round(operator.memory.cpuSeconds() - cpuBefore, 1),
      };
    } finally {
      await operator.stop();
    }
  } finally {
    await ctx.proxy.setBuckets([]);
    await Promise.all(deps.map((d) => d.watch.stop()));
  }
}
