import type { Deployment, Service, TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import { ecsVolumeConfigurations } from "../../src/aws/ecs-volumes.js";
import { createClusterInput, describeDiff as describeClusterDiff, diffCluster, resolveCluster } from "../../src/controllers/ecscluster/mapping.js";
import {
  createServiceInput,
  describeDiff,
  diffService,
  launchMismatches,
  resolveService,
  serviceReferences,
  serviceStatus,
  type ServiceDeps,
  type ServiceRefs,
} from "../../src/controllers/ecsservice/mapping.js";

/**
 * Issue 19: Service Connect, EBS volumes configured at launch, VPC Lattice and AZ rebalancing on
 * EcsService. DescribeServices reports the first three on each deployment only, never at the top
 * level: the diff reads the PRIMARY deployment's and never sees drift in an absent top-level field.
 */

const td = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3";
const td4 = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";
const ns = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc";
const ns2 = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-def";
const role = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const lattice = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1";

function svc(spec: Partial<EcsService["spec"]>): EcsService {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "api", namespace: "team", uid: "u-1", generation: 1 }, spec: { clusterRef: { name: "main" }, taskDefinitionRef: { name: "api" }, ...spec } };
}
const deps: ServiceDeps = { cluster: "team_main", taskDefinition: td, targetGroupArns: [], registryArns: [], advanced: [], namespace: ns };

const connect = {
  enabled: true,
  namespaceRef: { name: "apps" },
  services: [{ portName: "http", clientAliases: [{ port: 8080, dnsName: "api" }] }],
};
const gp3 = { roleArn: role, sizeInGiB: 20, volumeType: "gp3" as const, tagSpecifications: [{ resourceType: "volume" as const, tags: { team: "a", app: "api" } }] };
const ebs = [{ name: "data", managedEBSVolume: { roleArn: role, sizeInGiB: 20, volumeType: "gp3" as const, tagSpecifications: [{ resourceType: "volume" as const, tags: { team: "a", app: "api" } }] } }];

/** What DescribeServices reports for a service made from `obj`: the per-deployment fields on the PRIMARY only, with ECS's defaults. */
function reported(obj: EcsService, d: ServiceDeps = deps, primary: Partial<Deployment> = {}): Service {
  const input = createServiceInput(obj, d);
  const sc = input.serviceConnectConfiguration;
  return {
    serviceName: input.serviceName,
    serviceArn: "arn:aws:ecs:us-east-1:123456789012:service/team_main/team_api",
    status: "ACTIVE",
    taskDefinition: d.taskDefinition,
    desiredCount: 1,
    runningCount: 1,
    availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? "ENABLED",
    tags: input.tags,
    deployments: [
      {
        id: "ecs-svc/1",
        status: "PRIMARY",
        taskDefinition: d.taskDefinition,
        rolloutState: "COMPLETED",
        // ECS fills the namespace (the cluster's default when none was sent), a port's
        // discoveryName and the timeouts; the EBS tags come back in another order.
        ...(sc
          ? {
              serviceConnectConfiguration: {
                ...sc,
                namespace: sc.namespace ?? ns2,
                services: (sc.services ?? []).map((s) => ({ ...s, discoveryName: s.discoveryName ?? s.portName, timeout: { idleTimeoutSeconds: 300, perRequestTimeoutSeconds: 15 } })),
              },
              serviceConnectResources: (sc.services ?? []).map((s) => ({ discoveryName: s.discoveryName ?? s.portName, discoveryArn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1" })),
            }
          : {}),
        ...(input.volumeConfigurations
          ? { volumeConfigurations: input.volumeConfigurations.map((v) => ({ ...v, managedEBSVolume: { ...v.managedEBSVolume, roleArn: v.managedEBSVolume?.roleArn, tagSpecifications: v.managedEBSVolume?.tagSpecifications?.map((t) => ({ ...t, tags: [...(t.tags ?? [])].reverse() })) } })) }
          : {}),
        ...(input.vpcLatticeConfigurations ? { vpcLatticeConfigurations: input.vpcLatticeConfigurations } : {}),
        ...primary,
      },
    ],
  };
}

const observedOf = (service: Service, failed?: string) => ({ service, desiredTaskDefinition: deps.taskDefinition, ...(failed ? { failedTaskDefinition: failed } : {}) });

describe("EcsService Service Connect, volumes, VPC Lattice", () => {
  it("declares the namespace reference once, so that it is resolved, watched and its deletion held", () => {
    expect(serviceReferences.serviceConnectNamespace).toMatchObject({ kind: "CloudMapNamespace", statusField: "arn" });
    expect(serviceReferences.serviceConnectNamespace.names(svc({ serviceConnectConfiguration: connect }).spec)).toEqual(["apps"]);
    const refs: ServiceRefs = { cluster: ["c"], taskDefinition: [td], targetGroups: [], registries: [], alternateTargetGroups: [], productionListenerRules: [], testListenerRules: [], serviceConnectNamespace: [ns], capacityProviders: [], scalingTargetGroups: [] };
    expect(resolveService(svc({ serviceConnectConfiguration: connect }), refs).namespace).toBe(ns);
    // A literal ARN wins over nothing; neither: the cluster's serviceConnectDefaults (no namespace sent).
    expect(resolveService(svc({ serviceConnectConfiguration: { enabled: true, namespace: ns2 } }), { ...refs, serviceConnectNamespace: [undefined] }).namespace).toBe(ns2);
    expect(resolveService(svc({ serviceConnectConfiguration: { enabled: true } }), { ...refs, serviceConnectNamespace: [undefined] }).namespace).toBeUndefined();
  });

  it("maps the spec to CreateService in AWS's names, the namespace resolved and the EBS tags as pairs", () => {
    const obj = svc({ serviceConnectConfiguration: connect, volumeConfigurations: ebs, availabilityZoneRebalancing: "DISABLED", vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: lattice, portName: "http" }] });
    const input = createServiceInput(obj, deps);
    expect(input.serviceConnectConfiguration).toEqual({ enabled: true, namespace: ns, services: [{ portName: "http", clientAliases: [{ port: 8080, dnsName: "api" }] }] });
    expect(input.volumeConfigurations).toEqual([
      { name: "data", managedEBSVolume: { roleArn: role, sizeInGiB: 20, volumeType: "gp3", tagSpecifications: [{ resourceType: "volume", tags: [{ key: "app", value: "api" }, { key: "team", value: "a" }] }] } },
    ]);
    expect(input.availabilityZoneRebalancing).toBe("DISABLED");
    expect(input.vpcLatticeConfigurations).toEqual([{ roleArn: role, targetGroupArn: lattice, portName: "http" }]);
    const noNamespace = createServiceInput(svc({ serviceConnectConfiguration: { enabled: true } }), { cluster: deps.cluster, taskDefinition: td, targetGroupArns: [], registryArns: [], advanced: [] });
    expect(noNamespace.serviceConnectConfiguration).toEqual({ enabled: true });
  });

  it("sees no difference once the PRIMARY deployment reports what was asked, with ECS's defaults filled in", () => {
    const obj = svc({ serviceConnectConfiguration: connect, volumeConfigurations: ebs, availabilityZoneRebalancing: "DISABLED", vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: lattice, portName: "http" }] });
    expect(describeDiff(diffService(obj, deps, observedOf(reported(obj))))).toEqual([]);
    // The cluster's default namespace, filled in by ECS, is no drift for a spec that names none.
    const byDefault = svc({ serviceConnectConfiguration: { enabled: true, services: [{ portName: "http" }] } });
    const d: ServiceDeps = { cluster: deps.cluster, taskDefinition: td, targetGroupArns: [], registryArns: [], advanced: [] };
    expect(describeDiff(diffService(byDefault, d, observedOf(reported(byDefault, d))))).toEqual([]);
  });

  it("never registers drift for a field absent from the top level: only the deployments carry it", () => {
    const obj = svc({ serviceConnectConfiguration: connect, volumeConfigurations: ebs });
    const service = reported(obj);
    expect(service).not.toHaveProperty("serviceConnectConfiguration");
    expect(service).not.toHaveProperty("volumeConfigurations");
    expect(diffService(obj, deps, observedOf(service)).update).toEqual({});
    // No PRIMARY listed (a controller that lists none): nothing to compare, nothing pushed.
    expect(diffService(obj, deps, observedOf({ ...service, deployments: [] })).update).toEqual({});
  });

  it("asks for one UpdateService with the new Service Connect configuration when a client alias changes", () => {
    const before = svc({ serviceConnectConfiguration: connect });
    const after = svc({ serviceConnectConfiguration: { ...connect, services: [{ portName: "http", clientAliases: [{ port: 9090, dnsName: "api" }] }] } });
    const diff = diffService(after, deps, observedOf(reported(before)));
    expect(Object.keys(diff.update)).toEqual(["serviceConnectConfiguration"]);
    expect(diff.update.serviceConnectConfiguration?.services?.[0]?.clientAliases).toEqual([{ port: 9090, dnsName: "api" }]);
  });

  it("sees a changed namespace, a Service Connect turned off in AWS, and enabled: false against one that is on", () => {
    const obj = svc({ serviceConnectConfiguration: connect });
    expect(Object.keys(diffService(obj, { ...deps, namespace: ns2 }, observedOf(reported(obj))).update)).toEqual(["serviceConnectConfiguration"]);
    expect(Object.keys(diffService(obj, deps, observedOf(reported(obj, deps, { serviceConnectConfiguration: { enabled: false } }))).update)).toEqual(["serviceConnectConfiguration"]);
    const off = svc({ serviceConnectConfiguration: { enabled: false } });
    expect(Object.keys(diffService(off, deps, observedOf(reported(obj))).update)).toEqual(["serviceConnectConfiguration"]);
    // Off in the spec and nothing reported: the same.
    expect(diffService(off, deps, observedOf(reported(svc({})))).update).toEqual({});
  });

  it("sees an EBS volume configuration change and a VPC Lattice change", () => {
    const obj = svc({ volumeConfigurations: ebs });
    const bigger = svc({ volumeConfigurations: [{ name: "data", managedEBSVolume: { ...gp3, sizeInGiB: 40 } }] });
    expect(Object.keys(diffService(bigger, deps, observedOf(reported(obj))).update)).toEqual(["volumeConfigurations"]);
    const retagged = svc({ volumeConfigurations: [{ name: "data", managedEBSVolume: { ...gp3, tagSpecifications: [{ resourceType: "volume", tags: { team: "b", app: "api" } }] } }] });
    expect(Object.keys(diffService(retagged, deps, observedOf(reported(obj))).update)).toEqual(["volumeConfigurations"]);
    const l = svc({ vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: lattice, portName: "http" }] });
    const l2 = svc({ vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: `${lattice}-2`, portName: "http" }] });
    expect(Object.keys(diffService(l2, deps, observedOf(reported(l))).update)).toEqual(["vpcLatticeConfigurations"]);
  });

  it("does not push the configuration of a revision whose rollout failed and was rolled back", () => {
    const before = svc({ serviceConnectConfiguration: connect });
    const after = svc({ serviceConnectConfiguration: { ...connect, services: [{ portName: "http", clientAliases: [{ port: 9090 }] }] } });
    expect(diffService(after, deps, observedOf(reported(before), td)).update).toEqual({});
  });

  it("compares availabilityZoneRebalancing at the top level, and not at all when AWS does not report it", () => {
    const obj = svc({ availabilityZoneRebalancing: "DISABLED" });
    expect(diffService(obj, deps, observedOf({ ...reported(obj), availabilityZoneRebalancing: "ENABLED" })).update).toEqual({ availabilityZoneRebalancing: "DISABLED" });
    const { availabilityZoneRebalancing: _dropped, ...without } = reported(obj);
    expect(diffService(obj, deps, observedOf(without)).update).toEqual({});
  });

  it("reports a role ECS has that differs from the spec's as a field it cannot change in place", () => {
    const obj = svc({ role: "arn:aws:iam::123456789012:role/lb", loadBalancers: [{ targetGroupArn: "tg", containerName: "api", containerPort: 80 }] });
    expect(createServiceInput(obj, deps).role).toBe("arn:aws:iam::123456789012:role/lb");
    expect(diffService(obj, deps, observedOf({ ...reported(obj), roleArn: "arn:aws:iam::123456789012:role/other" })).immutable).toEqual(["role (arn:aws:iam::123456789012:role/other in AWS)"]);
  });

  it("puts the PRIMARY deployment's Service Connect namespace and Cloud Map services in status", () => {
    const status = serviceStatus(observedOf(reported(svc({ serviceConnectConfiguration: connect }))));
    expect(status.serviceConnect).toEqual({ namespace: ns, services: [{ discoveryName: "http", discoveryArn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1" }] });
    expect(serviceStatus(observedOf(reported(svc({})))).serviceConnect).toBeUndefined();
  });
});

describe("the spec against its task definition revision", () => {
  const revision: TaskDefinition = {
    containerDefinitions: [{ name: "api", portMappings: [{ name: "http", containerPort: 8080 }, { containerPort: 9000 }] }],
    volumes: [{ name: "data", configuredAtLaunch: true }, { name: "scratch" }],
  };

  it("finds nothing wrong when every port name and launch volume is there", () => {
    expect(launchMismatches(svc({ serviceConnectConfiguration: connect, volumeConfigurations: ebs, vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: lattice, portName: "http" }] }).spec, revision)).toEqual([]);
  });

  it("names a portName that is not a named port mapping, with the names there are", () => {
    const wrong = launchMismatches(svc({ serviceConnectConfiguration: { enabled: true, services: [{ portName: "grpc" }] } }).spec, revision);
    expect(wrong).toEqual(["spec.serviceConnectConfiguration.services[0].portName grpc is not a named port mapping of the task definition (its named port mappings: http)"]);
    expect(launchMismatches(svc({ vpcLatticeConfigurations: [{ roleArn: role, targetGroupArn: lattice, portName: "web" }] }).spec, { containerDefinitions: [{ name: "api" }] })).toEqual([
      "spec.vpcLatticeConfigurations[0].portName web is not a named port mapping of the task definition (it names no port mapping (portMappings[].name))",
    ]);
  });

  it("names a volume configuration whose volume is not configured at launch, and a launch volume left unconfigured", () => {
    expect(launchMismatches(svc({ volumeConfigurations: [{ name: "scratch", managedEBSVolume: { roleArn: role, sizeInGiB: 1 } }] }).spec, revision)).toEqual([
      "spec.volumeConfigurations[0].name scratch is not a volume with configuredAtLaunch: true in the task definition (it has data)",
      "the task definition's volume data is configured at launch but spec.volumeConfigurations does not configure it",
    ]);
    // A service that says nothing of volumes is not judged on them (ECS is).
    expect(launchMismatches(svc({}).spec, revision)).toEqual([]);
  });
});

describe("volumeConfigurations as AWS takes them", () => {
  it("keeps a task's terminationPolicy and turns tags into sorted pairs", () => {
    expect(ecsVolumeConfigurations([{ name: "d", managedEBSVolume: { roleArn: role, sizeInGiB: 5, terminationPolicy: { deleteOnTermination: false }, tagSpecifications: [{ resourceType: "volume", tags: { b: "2", a: "1" } }] } }])).toEqual([
      { name: "d", managedEBSVolume: { roleArn: role, sizeInGiB: 5, terminationPolicy: { deleteOnTermination: false }, tagSpecifications: [{ resourceType: "volume", tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }] }] } },
    ]);
  });
});

describe("EcsCluster serviceConnectDefaults", () => {
  function cluster(spec: EcsCluster["spec"]): EcsCluster {
    return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: "team", uid: "u-c" }, spec };
  }
  const base = { clusterName: "team_main", status: "ACTIVE", settings: [{ name: "containerInsights" as const, value: "disabled" }], capacityProviders: [], defaultCapacityProviderStrategy: [] };

  it("creates the cluster with the resolved namespace and sees no difference once ECS reports it", () => {
    const obj = cluster({ serviceConnectDefaults: { namespaceRef: { name: "apps" } } });
    const d = resolveCluster(obj, { capacityProviders: [], strategyProviders: [], serviceConnectNamespace: [ns] });
    expect(createClusterInput(obj, d).serviceConnectDefaults).toEqual({ namespace: ns });
    expect(describeClusterDiff(diffCluster(obj, { ...base, tags: createClusterInput(obj, d).tags, serviceConnectDefaults: { namespace: ns } }, d))).toEqual([]);
  });

  it("sets a changed or missing default namespace, and leaves one alone that the spec does not name", () => {
    const obj = cluster({ serviceConnectDefaults: { namespace: ns2 } });
    const d = resolveCluster(obj, { capacityProviders: [], strategyProviders: [], serviceConnectNamespace: [undefined] });
    expect(diffCluster(obj, { ...base, tags: createClusterInput(obj, d).tags, serviceConnectDefaults: { namespace: ns } }, d).serviceConnectNamespace).toBe(ns2);
    expect(diffCluster(obj, { ...base, tags: createClusterInput(obj, d).tags }, d).serviceConnectNamespace).toBe(ns2);
    const none = cluster({});
    expect(describeClusterDiff(diffCluster(none, { ...base, tags: createClusterInput(none, resolveCluster(none, { capacityProviders: [], strategyProviders: [], serviceConnectNamespace: [undefined] })).tags, serviceConnectDefaults: { namespace: ns } }, resolveCluster(none, { capacityProviders: [], strategyProviders: [], serviceConnectNamespace: [undefined] })))).toEqual([]);
  });
});

// Keeps td4 in use for the reader: a spec's new revision is compared by the taskDefinition field alone.
it("a new revision alone does not make the per-deployment fields differ", () => {
  const obj = svc({ serviceConnectConfiguration: connect });
  expect(Object.keys(diffService(obj, { ...deps, taskDefinition: td4 }, { service: reported(obj), desiredTaskDefinition: td4 }).update)).toEqual(["taskDefinition"]);
});
