import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { ListenerRule } from "../../src/api/listenerrule.js";
import { listenerRuleDriver } from "../../src/controllers/listenerrule/driver.js";
import { ruleReferences } from "../../src/controllers/listenerrule/mapping.js";
import { locateReferences, referencedObjects, resolveReferences, type Lookup } from "../../src/runtime/references.js";
import type { ManagedObject } from "../../src/runtime/driver.js";

const TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067";
const LITERAL_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/legacy/0a1b2c3d4e5f6a7b";

function rule(deleting = false): ListenerRule {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "ListenerRule",
    metadata: { name: "web", namespace: "shop", uid: "u-1", generation: 1, ...(deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}) },
    spec: {
      listenerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/front/50dc6c495c0c9188/f2f7dc8efc522ab2",
      priority: 10,
      conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/shop/*"] } }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" } }, { targetGroupArn: LITERAL_ARN }] } }],
    },
  };
}

function targetGroup(ready: boolean, generation = 1, observedGeneration = 1): ManagedObject {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TargetGroup",
    metadata: { name: "web", namespace: "shop", uid: "tg-1", generation },
    status: {
      observedGeneration,
      arn: TG_ARN,
      conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? "Available" : "Creating", message: "", lastTransitionTime: "2025-01-01T00:00:00Z" }],
    },
  };
}

function lookupOf(...objects: ManagedObject[]): Lookup {
  return {
    get: (kind, namespace, name) => objects.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name),
    list: (kind) => objects.filter((o) => o.kind === kind),
  };
}

// Resolution reads only the caches: the client is never called.
const driver = listenerRuleDriver(new ElasticLoadBalancingV2Client({ region: "us-east-1" }), { get: () => undefined, list: () => [] });

function resolveWith(lookup: Lookup, obj = rule()) {
  const resolution = resolveReferences(obj, ruleReferences, lookup);
  return resolution.ready ? { ready: true, deps: driver.resolve(obj, resolution.values) } : resolution;
}

describe("ListenerRule references", () => {
  it("waits for a referenced TargetGroup until it exists, is Ready for its current generation and has an ARN", () => {
    expect(resolveWith(lookupOf())).toEqual({ ready: false, missing: ["TargetGroup shop/web (spec.actions[].forwardConfig.targetGroups[].targetGroupRef) not found"], waitingFor: "TargetGroup shop/web (spec.actions[].forwardConfig.targetGroups[].targetGroupRef) not found" });
    expect(resolveWith(lookupOf(targetGroup(false)))).toEqual({ ready: false, missing: [], waitingFor: "TargetGroup shop/web to be Ready (Creating)" });
    expect(resolveWith(lookupOf(targetGroup(true, 2, 1)))).toEqual({ ready: false, missing: [], waitingFor: "TargetGroup shop/web to be Ready (its current generation is not reconciled yet)" });
  });

  it("resolves a Ready TargetGroup to the ARN in its status; literal ARNs need no lookup", () => {
    expect(resolveWith(lookupOf(targetGroup(true)))).toEqual({ ready: true, deps: { targetGroupArns: { web: TG_ARN } } });
  });

  it("is located for deletion without its target groups: their own deletion waits for this rule", () => {
    expect(driver.locate(rule(true), locateReferences(rule(true), ruleReferences, lookupOf()))).toBeNull();
  });

  it("declares the target groups it forwards to, once each, for the reference index", () => {
    expect(referencedObjects(rule(), ruleReferences)).toEqual([{ kind: "TargetGroup", namespace: "shop", name: "web" }]);
  });
});
