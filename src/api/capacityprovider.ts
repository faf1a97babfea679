import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, immutable, Int, List, NameRef, Obj, Optional, Str, StringEnum } from "./schema.js";

/** An Auto Scaling group's ARN, as CreateCapacityProvider takes it. */
export const AUTO_SCALING_GROUP_ARN_PATTERN = "^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:[0-9]{12}:autoScalingGroup:[0-9a-fA-F-]+:autoScalingGroupName/[^/]+$";
const ROLE_ARN_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$";
const INSTANCE_PROFILE_ARN_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:instance-profile/.+$";

const UPDATE_CANNOT = "cannot be changed in place (UpdateCapacityProvider does not take it): delete and recreate the capacity provider";

const enabledDisabled = (what: string) => StringEnum(["ENABLED", "DISABLED"] as const, what);

const range = (what: string, min: number, max: number) =>
  Obj(
    { min: Optional(Int(`The least ${what}.`, { minimum: min, maximum: max })), max: Optional(Int(`The most ${what}.`, { minimum: min, maximum: max })) },
    `A range of ${what}.`,
    { validations: [{ rule: "!has(self.min) || !has(self.max) || self.min <= self.max", messageExpression: "'min (%d) must not exceed max (%d)'.format([self.min, self.max])" }] },
  );

const autoScalingGroupProvider = Obj(
  {
    autoScalingGroupArn: Str(
      "The ARN of the Auto Scaling group whose instances join the cluster (arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>). The group must exist and not be used by another capacity provider. Immutable.",
      {
        maxLength: 1600,
        validations: [
          { rule: `self.matches('${AUTO_SCALING_GROUP_ARN_PATTERN}')`, messageExpression: "'autoScalingGroupArn must be an Auto Scaling group ARN (arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>), got ' + self" },
          immutable("autoScalingGroupArn", UPDATE_CANNOT),
        ],
      },
    ),
    managedScaling: Optional(
      Obj(
        {
          status: Optional(enabledDisabled("ENABLED lets ECS scale the Auto Scaling group to the tasks' needs (a target tracking policy on the CapacityProviderReservation metric); DISABLED (AWS's default) leaves the group alone.")),
          targetCapacity: Optional(Int("The utilisation of the group's instances ECS aims at, in percent: 100 packs instances full, less keeps spare room. AWS's default is 100.", { minimum: 1, maximum: 100 })),
          minimumScalingStepSize: Optional(Int("The fewest instances ECS adds or removes in one scaling step. AWS's default is 1.", { minimum: 1, maximum: 10000 })),
          maximumScalingStepSize: Optional(Int("The most instances ECS adds or removes in one scaling step. AWS's default is 10000.", { minimum: 1, maximum: 10000 })),
          instanceWarmupPeriod: Optional(Int("Seconds a new instance takes before it counts in the group's metrics. AWS's default is 300.", { minimum: 0, maximum: 10000 })),
        },
        "Managed scaling: ECS scales the Auto Scaling group itself.",
        {
          validations: [
            {
              rule: "!has(self.minimumScalingStepSize) || !has(self.maximumScalingStepSize) || self.minimumScalingStepSize <= self.maximumScalingStepSize",
              messageExpression: "'minimumScalingStepSize (%d) must not exceed maximumScalingStepSize (%d)'.format([self.minimumScalingStepSize, self.maximumScalingStepSize])",
              fieldPath: ".minimumScalingStepSize",
            },
          ],
        },
      ),
    ),
    managedTerminationProtection: Optional(
      enabledDisabled("ENABLED keeps the group from terminating instances that still run tasks during scale-in (needs managed scaling and the group's own instance scale-in protection). AWS's default is DISABLED."),
    ),
    managedDraining: Optional(enabledDisabled("ENABLED lets ECS drain an instance's tasks before the group terminates it. AWS's default is ENABLED.")),
  },
  "An EC2 Auto Scaling group capacity provider: the group's instances register as the cluster's container instances.",
  {
    validations: [
      {
        rule: "!has(self.managedTerminationProtection) || self.managedTerminationProtection != 'ENABLED' || (has(self.managedScaling) && has(self.managedScaling.status) && self.managedScaling.status == 'ENABLED')",
        message: "managedTerminationProtection ENABLED needs managedScaling.status ENABLED (ECS refuses it otherwise)",
        fieldPath: ".managedTerminationProtection",
      },
    ],
  },
);

const instanceRequirements = Obj(
  {
    vCpuCount: Obj({ min: Int("The fewest vCPUs.", { minimum: 0 }), max: Optional(Int("The most vCPUs.", { minimum: 0 })) }, "The instance types' vCPU count.", {
      validations: [{ rule: "!has(self.max) || self.min <= self.max", messageExpression: "'vCpuCount min (%d) must not exceed max (%d)'.format([self.min, self.max])" }],
    }),
    memoryMiB: Obj({ min: Int("The least memory, in MiB.", { minimum: 0 }), max: Optional(Int("The most memory, in MiB.", { minimum: 0 })) }, "The instance types' memory.", {
      validations: [{ rule: "!has(self.max) || self.min <= self.max", messageExpression: "'memoryMiB min (%d) must not exceed max (%d)'.format([self.min, self.max])" }],
    }),
    cpuManufacturers: Optional(List(StringEnum(["intel", "amd", "amazon-web-services"] as const, "A CPU manufacturer."), "CPU manufacturers to allow.", { maxItems: 3 })),
    allowedInstanceTypes: Optional(List(Str("An instance type or pattern, e.g. m5.8xlarge, c5*.*, r*.", { minLength: 1, maxLength: 30 }), "Instance types to choose from (exclusive with excludedInstanceTypes).", { maxItems: 400 })),
    excludedInstanceTypes: Optional(List(Str("An instance type or pattern, e.g. m5.8xlarge, c5*.*.", { minLength: 1, maxLength: 30 }), "Instance types never to use.", { maxItems: 400 })),
    instanceGenerations: Optional(List(StringEnum(["current", "previous"] as const, "An instance generation."), "Instance generations to allow.", { maxItems: 2 })),
    burstablePerformance: Optional(StringEnum(["included", "required", "excluded"] as const, "Burstable (T) instance types: included, required or excluded.")),
    bareMetal: Optional(StringEnum(["included", "required", "excluded"] as const, "Bare metal instance types: included, required or excluded.")),
    localStorage: Optional(StringEnum(["included", "required", "excluded"] as const, "Instance types with local storage: included, required or excluded.")),
    acceleratorTypes: Optional(List(StringEnum(["gpu", "fpga", "inference"] as const, "An accelerator type."), "Accelerator types to require.", { maxItems: 3 })),
    acceleratorCount: Optional(range("accelerators", 0, 1000)),
    acceleratorManufacturers: Optional(List(StringEnum(["amazon-web-services", "amd", "nvidia", "xilinx", "habana"] as const, "An accelerator manufacturer."), "Accelerator manufacturers to allow.", { maxItems: 5 })),
    spotMaxPricePercentageOverLowestPrice: Optional(Int("[SPOT] The highest Spot price, in percent above the cheapest matching type's.", { minimum: 0 })),
    onDemandMaxPricePercentageOverLowestPrice: Optional(Int("[ON_DEMAND] The highest On-Demand price, in percent above the cheapest matching type's.", { minimum: 0 })),
  },
  "Attribute-based instance type selection: ECS picks instance types with these attributes.",
  {
    validations: [
      { rule: "!(has(self.allowedInstanceTypes) && has(self.excludedInstanceTypes))", message: "set at most one of allowedInstanceTypes and excludedInstanceTypes", fieldPath: ".excludedInstanceTypes" },
    ],
  },
);

const managedInstancesProvider = Obj(
  {
    infrastructureRoleArn: Str("The IAM role ECS assumes to launch and manage the instances (it needs the AmazonECSInfrastructureRolePolicyForManagedInstances permissions; the operator needs iam:PassRole on it).", {
      maxLength: 2048,
      validations: [{ rule: `self.matches('${ROLE_ARN_PATTERN}')`, messageExpression: "'infrastructureRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ' + self" }],
    }),
    instanceLaunchTemplate: Obj(
      {
        ec2InstanceProfileArn: Str("The instance profile the instances run with (its role needs the AmazonECSInstanceRolePolicyForManagedInstances permissions).", {
          maxLength: 2048,
          validations: [{ rule: `self.matches('${INSTANCE_PROFILE_ARN_PATTERN}')`, messageExpression: "'ec2InstanceProfileArn must be an IAM instance profile ARN (arn:aws:iam::<account>:instance-profile/<name>), got ' + self" }],
        }),
        networkConfiguration: Obj(
          {
            subnets: List(Str("A subnet id.", { pattern: "^subnet-[0-9a-f]+$" }), "Subnets the instances are launched in.", { minItems: 1, maxItems: 16 }),
            securityGroups: Optional(List(Str("A security group id.", { pattern: "^sg-[0-9a-f]+$" }), "Security groups of the instances.", { maxItems: 5 })),
          },
          "Where the instances are launched.",
        ),
        storageConfiguration: Optional(Obj({ storageSizeGiB: Int("The root volume's size, in GiB.", { minimum: 1, maximum: 16384 }) }, "The instances' root volume.")),
        monitoring: Optional(StringEnum(["BASIC", "DETAILED"] as const, "CloudWatch monitoring of the instances: BASIC (default, every 5 minutes) or DETAILED (every minute).")),
        capacityOptionType: Optional(
          StringEnum(["ON_DEMAND", "SPOT", "RESERVED"] as const, "ON_DEMAND (default), SPOT, or RESERVED (capacity reservations) instances. Immutable.", { validations: [immutable("capacityOptionType", UPDATE_CANNOT)] }),
        ),
        instanceMetadataTagsPropagation: Optional(Bool("Make the instances' tags readable from their instance metadata.")),
        instanceRequirements: Optional(instanceRequirements),
        fipsEnabled: Optional(Bool("Use FIPS 140-validated AMIs. Immutable.", { validations: [immutable("fipsEnabled", UPDATE_CANNOT)] })),
      },
      "How ECS launches the instances.",
    ),
    propagateTags: Optional(StringEnum(["CAPACITY_PROVIDER", "NONE"] as const, "CAPACITY_PROVIDER copies the capacity provider's tags to the instances it launches; NONE (default) does not.")),
    infrastructureOptimization: Optional(
      Obj({ scaleInAfter: Optional(Int("Seconds an idle or underused instance waits before ECS replaces or terminates it; -1 turns that off.", { minimum: -1, maximum: 3600 })) }, "How ECS consolidates instances."),
    ),
  },
  "An ECS Managed Instances capacity provider: ECS launches, patches and retires the EC2 instances itself. It belongs to one cluster (clusterRef or cluster).",
);

const spec = specSchema(
  {
    name: Optional(
      Str("The capacity provider's name in AWS: up to 255 letters, digits, hyphens and underscores, not starting with aws, ecs or fargate. Defaults to one derived from <namespace>_<name>. Immutable.", {
        minLength: 1,
        maxLength: 255,
        pattern: "^[a-zA-Z0-9_-]+$",
        validations: [
          { rule: "!self.lowerAscii().startsWith('aws') && !self.lowerAscii().startsWith('ecs') && !self.lowerAscii().startsWith('fargate')", messageExpression: "'name may not start with aws, ecs or fargate (ECS reserves them), got ' + self" },
          immutable("name"),
        ],
      }),
    ),
    clusterRef: Optional(NameRef("EcsCluster", "[managedInstancesProvider] The EcsCluster the provider belongs to, by name in the same namespace. Immutable.", { validations: [immutable("clusterRef")] })),
    cluster: Optional(Str("[managedInstancesProvider] The cluster the provider belongs to, by name, for a cluster not managed here. Immutable.", { minLength: 1, maxLength: 255, validations: [immutable("cluster")] })),
    autoScalingGroupProvider: Optional(autoScalingGroupProvider),
    managedInstancesProvider: Optional(managedInstancesProvider),
  },
  "The desired ECS capacity provider: the CreateCapacityProvider input, in AWS's field names. Exactly one of autoScalingGroupProvider and managedInstancesProvider.",
  {
    validations: [
      {
        rule: "has(self.autoScalingGroupProvider) != has(self.managedInstancesProvider)",
        message: "set exactly one of autoScalingGroupProvider and managedInstancesProvider",
      },
      {
        rule: "has(self.autoScalingGroupProvider) == has(oldSelf.autoScalingGroupProvider)",
        message: "a capacity provider's type (autoScalingGroupProvider or managedInstancesProvider) cannot change: delete and recreate it",
      },
      { rule: "has(self.name) == has(oldSelf.name)", message: "name is immutable: it cannot be added or removed once the object exists", fieldPath: ".name" },
      {
        rule: "!has(self.managedInstancesProvider) || has(self.clusterRef) != has(self.cluster)",
        message: "a managedInstancesProvider belongs to one cluster: set exactly one of clusterRef and cluster",
        fieldPath: ".clusterRef",
        reason: "FieldValueRequired",
      },
      {
        rule: "!has(self.autoScalingGroupProvider) || (!has(self.clusterRef) && !has(self.cluster))",
        message: "an autoScalingGroupProvider names no cluster: the cluster lists it (EcsCluster spec.capacityProviderRefs); remove clusterRef / cluster",
        fieldPath: ".clusterRef",
      },
    ],
  },
);

const status = statusSchema(
  {
    capacityProviderName: Optional(Str("The capacity provider's name in AWS: what clusters and strategies name.")),
    type: Optional(Str("EC2_AUTOSCALING or MANAGED_INSTANCES, as AWS reports it.")),
    cluster: Optional(Str("[managedInstancesProvider] The cluster it belongs to.")),
    status: Optional(Str("ACTIVE, or INACTIVE once deleted.")),
    updateStatus: Optional(Str("The last update's state (UPDATE_IN_PROGRESS, UPDATE_COMPLETE, UPDATE_FAILED, DELETE_IN_PROGRESS, ...).")),
    updateStatusReason: Optional(Str("Why, as AWS words it (e.g. an update that failed).")),
  },
  "What the operator observed in AWS.",
);

export const capacityProviderKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("CapacityProvider"),
  singular: "capacityprovider",
  shortNames: ["ecscp"],
  description: "An Amazon ECS capacity provider: an EC2 Auto Scaling group, or ECS Managed Instances, that a cluster's tasks are placed on.",
  spec,
  status,
  printerColumns: printerColumns([
    { name: "Provider", type: "string", jsonPath: ".status.capacityProviderName", description: "The capacity provider's name in AWS." },
    { name: "Type", type: "string", jsonPath: ".status.type", description: "EC2_AUTOSCALING or MANAGED_INSTANCES." },
    { name: "Update", type: "string", jsonPath: ".status.updateStatus", description: "The last update's state." },
  ]),
};

export type CapacityProviderSpec = Static<typeof spec>;
export type CapacityProviderStatus = Static<typeof status>;
export type CapacityProvider = CustomObject<CapacityProviderSpec, CapacityProviderStatus>;
