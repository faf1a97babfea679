import type { Static } from "@sinclair/typebox";
import { Bool, Int, List, Obj, Optional, Str, StringEnum, StringMap, type CelRule } from "./schema.js";

/**
 * `volumeConfigurations[]` with `managedEBSVolume`: the one definition EcsService (CreateService's
 * ServiceVolumeConfiguration) and EcsTask (RunTask's TaskVolumeConfiguration) share. The task's
 * adds `terminationPolicy`, which a service's volumes do not take. Tags are a map, as on every
 * kind (docs/design.md section 2); the mapping turns them into AWS's list of key/value pairs.
 */

const VOLUME_TYPES = ["gp2", "gp3", "io1", "io2", "sc1", "st1", "standard"] as const;

/** The EBS rules AWS documents for CreateVolume that hold whatever the account (ServiceManagedEBSVolumeConfiguration). */
const ebsRules: CelRule[] = [
  {
    rule: "has(self.sizeInGiB) || has(self.snapshotId)",
    message: "set sizeInGiB or snapshotId (the snapshot's size is then the volume's)",
    fieldPath: ".sizeInGiB",
    reason: "FieldValueRequired",
  },
  {
    rule: "!has(self.iops) || !has(self.volumeType) || self.volumeType in ['gp3', 'io1', 'io2']",
    messageExpression: "'iops applies to gp3, io1 and io2 volumes, not ' + self.volumeType",
    fieldPath: ".iops",
  },
  {
    rule: "!has(self.volumeType) || !(self.volumeType in ['io1', 'io2']) || has(self.iops)",
    messageExpression: "'an ' + self.volumeType + ' volume needs iops (io1: 100 to 64000, io2: 100 to 256000)'",
    fieldPath: ".iops",
    reason: "FieldValueRequired",
  },
  {
    // gp3 is the default type.
    rule: "!has(self.iops) || (has(self.volumeType) && self.volumeType != 'gp3') || (self.iops >= 3000 && self.iops <= 16000)",
    messageExpression: "'a gp3 volume takes 3000 to 16000 iops, got %d'.format([self.iops])",
    fieldPath: ".iops",
  },
  {
    // gp3 is the default type, so throughput without a type is fine.
    rule: "!has(self.throughput) || !has(self.volumeType) || self.volumeType == 'gp3'",
    messageExpression: "'throughput applies to gp3 volumes only, not ' + self.volumeType",
    fieldPath: ".throughput",
  },
  {
    rule: "!has(self.sizeInGiB) || !has(self.volumeType) || !(self.volumeType in ['io1', 'io2']) || self.sizeInGiB >= 4",
    messageExpression: "'an %s volume is 4 to 16384 GiB, got %d'.format([self.volumeType, self.sizeInGiB])",
    fieldPath: ".sizeInGiB",
  },
  {
    rule: "!has(self.sizeInGiB) || !has(self.volumeType) || !(self.volumeType in ['st1', 'sc1']) || self.sizeInGiB >= 125",
    messageExpression: "'an %s volume is 125 to 16384 GiB, got %d'.format([self.volumeType, self.sizeInGiB])",
    fieldPath: ".sizeInGiB",
  },
  {
    rule: "!has(self.sizeInGiB) || !has(self.volumeType) || self.volumeType != 'standard' || self.sizeInGiB <= 1024",
    messageExpression: "'a standard (magnetic) volume is 1 to 1024 GiB, got %d'.format([self.sizeInGiB])",
    fieldPath: ".sizeInGiB",
  },
  {
    rule: "!has(self.volumeInitializationRate) || has(self.snapshotId)",
    message: "volumeInitializationRate applies to a volume created from a snapshot: set snapshotId",
    fieldPath: ".volumeInitializationRate",
  },
  {
    rule: "!has(self.kmsKeyId) || !has(self.encrypted) || self.encrypted",
    message: "a kmsKeyId encrypts the volume: remove encrypted: false or the key",
    fieldPath: ".encrypted",
  },
];

const tagSpecification = Obj(
  {
    resourceType: StringEnum(["volume"] as const, "What the tags go on: the volume."),
    tags: Optional(
      StringMap("Tags for the volume (AmazonECSCreated and AmazonECSManaged are ECS's own).", {
        maxProperties: 45,
        validations: [{ rule: "self.all(k, !(k in ['AmazonECSCreated', 'AmazonECSManaged']) && !k.startsWith('aws:'))", message: "AmazonECSCreated, AmazonECSManaged and aws: tags are reserved" }],
      }),
    ),
    propagateTags: Optional(StringEnum(["TASK_DEFINITION", "SERVICE", "NONE"] as const, "Also copy the task definition's or the service's tags to the volume (SERVICE for services only).")),
  },
  "Tags ECS puts on the volumes it creates.",
);

function managedEBSVolumeFields() {
  return {
    roleArn: Str("The ECS infrastructure role ECS uses to create, attach and delete the volume (needs AmazonECSInfrastructureRolePolicyForVolumes).", { minLength: 1 }),
    sizeInGiB: Optional(Int("Size in GiB: gp2/gp3 1 to 16384, io1/io2 4 to 16384, st1/sc1 125 to 16384, standard 1 to 1024. With a snapshotId, at least the snapshot's size.", { minimum: 1, maximum: 16384 })),
    snapshotId: Optional(Str("The EBS snapshot each volume is created from.", { pattern: "^snap-[0-9a-f]+$", maxLength: 64 })),
    volumeInitializationRate: Optional(Int("MiB/s at which a volume's data is fetched from its snapshot (with snapshotId only).", { minimum: 100, maximum: 300 })),
    volumeType: Optional(StringEnum(VOLUME_TYPES, "The EBS volume type (default gp3; standard is not available on Fargate).", { maxLength: 8 })),
    iops: Optional(Int("Provisioned IOPS: gp3 3000 to 16000 (default 3000), io1 100 to 64000, io2 100 to 256000 (required for io1 and io2).", { minimum: 100, maximum: 256000 })),
    throughput: Optional(Int("Throughput in MiB/s, gp3 only (125 to 1000).", { minimum: 125, maximum: 1000 })),
    encrypted: Optional(Bool("Encrypt the volume (an account's encryption-by-default still applies when false).")),
    kmsKeyId: Optional(Str("The KMS key (id, alias or ARN) that encrypts the volume; overrides the account's and the cluster's default key.")),
    filesystemType: Optional(StringEnum(["ext3", "ext4", "xfs", "ntfs"] as const, "The filesystem (default xfs on Linux, ntfs on Windows); a volume from a snapshot needs the snapshot's.")),
    tagSpecifications: Optional(List(tagSpecification, "Tags for the volumes.", { maxItems: 1 })),
  };
}

const volumeName = Str("The volume's name in the task definition, where it has configuredAtLaunch: true.", { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z0-9_-]+$" });

const uniqueNames: CelRule = { rule: "self.all(v, self.exists_one(w, w.name == v.name))", message: "each volume is configured once" };

/** What an EcsService's tasks get: one volume per task, created by ECS and deleted when the task stops. */
export const serviceVolumeConfigurations = List(
  Obj(
    {
      name: volumeName,
      managedEBSVolume: Obj(managedEBSVolumeFields(), "An EBS volume ECS creates for each task of the service and deletes when the task stops.", { validations: ebsRules }),
    },
    "A volume configured at launch (the task definition leaves it to the service).",
  ),
  "Volumes created when tasks launch: the task definition's volumes with configuredAtLaunch. ECS takes one per task definition. A change deploys anew.",
  { maxItems: 1, validations: [uniqueNames] },
);

/** What an EcsTask's tasks get; as a service's, plus what happens to the volume when the task stops. */
export const taskVolumeConfigurations = List(
  Obj(
    {
      name: volumeName,
      managedEBSVolume: Obj(
        {
          ...managedEBSVolumeFields(),
          terminationPolicy: Optional(
            Obj({ deleteOnTermination: Bool("Delete the volume when the task stops (ECS's default is true).") }, "What happens to the volume when the task stops."),
          ),
        },
        "An EBS volume ECS creates for the task.",
        { validations: ebsRules },
      ),
    },
    "A volume configured at launch (the task definition leaves it to the run).",
  ),
  "Volumes created when the tasks launch: the task definition's volumes with configuredAtLaunch. ECS takes one per task definition.",
  { maxItems: 1, validations: [uniqueNames] },
);

export type ServiceVolumeConfigurationSpec = Static<typeof serviceVolumeConfigurations>[number];
export type TaskVolumeConfigurationSpec = Static<typeof taskVolumeConfigurations>[number];
