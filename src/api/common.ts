import { type Static, type TObject, type TProperties } from "@sinclair/typebox";
import type { ObjectMeta } from "../runtime/object.js";
import { Bool, Int, List, Obj, Optional, Str, StringEnum, StringMap } from "./schema.js";

import { RESERVED_TAG_PREFIX } from "./names.js";

export { API_VERSION, GROUP, RESERVED_TAG_PREFIX, VERSION } from "./names.js";
export const CATEGORY = "ecs";

/** AWS account and region names, as AWS spells them. */
export const ACCOUNT_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";

/** The operator fields that every kind shares, merged into each kind's spec. */
export const operatorFields = {
  account: Optional(
    Str(
      "The AwsAccount (cluster-scoped, granted to this namespace by an administrator) whose AWS account holds the resource. Omitted: the namespace's default account, else the operator's own. Immutable: moving a resource between accounts would orphan it.",
      { maxLength: 253, pattern: ACCOUNT_NAME_PATTERN, validations: [{ rule: "self == oldSelf", message: "account cannot be changed: delete the object and create it in the other account" }] },
    ),
  ),
  region: Optional(
    Str("The AWS region of the resource, one of those the account allows. Omitted: the account's first region (for the operator's own account, its --region). Immutable.", {
      maxLength: 32,
      pattern: REGION_PATTERN,
      validations: [{ rule: "self == oldSelf", message: "region cannot be changed: delete the object and create it in the other region" }],
    }),
  ),
  deletionPolicy: Optional(
    StringEnum(["Delete", "Retain"] as const, "What happens in AWS when this object is deleted: Delete (default) removes the AWS resource, Retain leaves it in place."),
  ),
  managementPolicy: Optional(
    StringEnum(
      ["Manage", "Observe"] as const,
      "Manage (default) creates and updates the AWS resource; Observe only reads it and reports it in status, never writing to AWS (import, migration, audit).",
    ),
  ),
  adopt: Optional(
    Bool(
      "Take over an existing AWS resource of the same name that carries no ecs-operator owner tags. Without it (default false) such a resource is reported as ConflictExistingResource and left alone. A resource owned by another object is never adopted.",
    ),
  ),
  tags: Optional(
    StringMap("User tags for the AWS resource, merged with the operator's ownership tags (ecs-operator.dev/*).", {
      validations: [
        { rule: `self.all(k, !k.startsWith('${RESERVED_TAG_PREFIX}'))`, message: `tag keys starting with ${RESERVED_TAG_PREFIX} are reserved for the operator` },
        { rule: "self.all(k, !k.startsWith('aws:'))", message: "tag keys starting with aws: are reserved by AWS" },
        { rule: "self.all(k, size(k) >= 1 && size(k) <= 128)", message: "tag keys must be 1 to 128 characters" },
        { rule: "self.all(k, size(self[k]) <= 256)", message: "tag values must be at most 256 characters" },
        { rule: "self.size() <= 45", message: "at most 45 user tags (AWS allows 50 per resource and the operator uses some)" },
      ],
    }),
  ),
};

export const conditionSchema = Obj(
  {
    type: Str("Ready (the summary), Synced (the last reconcile applied the spec without error) or Progressing (a rollout is under way)."),
    status: StringEnum(["True", "False", "Unknown"] as const, "Whether the condition holds."),
    reason: Str("A CamelCase reason from a fixed set, e.g. Available, Creating, InvalidSpec, WaitingForDependency."),
    message: Str("A human-readable explanation, with AWS's own message where AWS rejected something."),
    lastTransitionTime: Str("When the status last changed (not the reason or message).", { format: "date-time" }),
    observedGeneration: Optional(Int("The metadata.generation this condition was computed for.", { format: "int64" })),
  },
  "A condition in the metav1.Condition shape.",
);
export type Condition = Static<typeof conditionSchema>;

/** The status fields every kind shares; kinds add their observed values beside them. */
export const commonStatusFields = {
  observedGeneration: Optional(Int("The metadata.generation the operator last reconciled.", { format: "int64" })),
  conditions: Optional(
    List(conditionSchema, "Ready, Synced and (for services) Progressing.", { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }),
  ),
  arn: Optional(Str("The ARN of the AWS resource.")),
  account: Optional(Str("The AWS account id the resource lives in.")),
  region: Optional(Str("The AWS region the resource lives in.")),
};

export type OperatorFields = Static<TObject<typeof operatorFields>>;

/** Builds a kind's spec schema from its AWS fields plus the shared operator fields. */
export function specSchema<T extends TProperties>(awsFields: T, description: string, options: Parameters<typeof Obj>[2] = {}) {
  // Where the resource lives is chosen once: a field added or removed later would move it.
  const placement = [
    { rule: "has(self.account) == has(oldSelf.account)", message: "account cannot be added or removed after creation", fieldPath: ".account" },
    { rule: "has(self.region) == has(oldSelf.region)", message: "region cannot be added or removed after creation", fieldPath: ".region" },
  ];
  return Obj({ ...awsFields, ...operatorFields }, description, { ...options, validations: [...(options.validations ?? []), ...placement] });
}

export function statusSchema<T extends TProperties>(kindFields: T, description: string) {
  return Obj({ ...commonStatusFields, ...kindFields }, description);
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

/** Everything the CRD generator and the runtime need to know about one kind. */
export interface KindDefinition<Spec extends TObject = TObject, Status extends TObject = TObject> {
  kind: string;
  /** Namespaced (default) or cluster-wide, like an administrator's grant. */
  scope?: "Namespaced" | "Cluster";
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: Spec;
  status: Status;
  printerColumns: PrinterColumn[];
}

export const ageColumn: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Time since creation." };

/**
 * A kind's printer columns: READY and REASON first on every kind, then the kind's own, then AGE;
 * the Ready condition's MESSAGE with `-o wide`. `readyMeans` says what Ready means for the kind.
 */
export function printerColumns(kindColumns: PrinterColumn[], readyMeans = "Exists in AWS and matches the spec."): PrinterColumn[] {
  return [
    { name: "Ready", type: "string", jsonPath: `.status.conditions[?(@.type=="Ready")].status`, description: readyMeans },
    { name: "Reason", type: "string", jsonPath: `.status.conditions[?(@.type=="Ready")].reason`, description: "Why it is or is not ready." },
    ...kindColumns,
    { name: "Message", type: "string", jsonPath: `.status.conditions[?(@.type=="Ready")].message`, description: "What the Ready condition says.", priority: 1 },
    ageColumn,
  ];
}

export type { ObjectMeta };

export interface CustomObject<Spec, Status> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
