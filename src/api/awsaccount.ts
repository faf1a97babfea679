import type { Static } from "@sinclair/typebox";
import { conditionSchema, printerColumns, REGION_PATTERN, type CustomObject, type KindDefinition } from "./common.js";
import { Int, List, Obj, Optional, Str, StringEnum, StringMap } from "./schema.js";

/** metav1.LabelSelector, as Kubernetes spells it. */
const labelSelector = Obj(
  {
    matchLabels: Optional(StringMap("Labels a namespace must carry, all of them.")),
    matchExpressions: Optional(
      List(
        Obj(
          {
            key: Str("The label key.", { minLength: 1 }),
            operator: StringEnum(["In", "NotIn", "Exists", "DoesNotExist"] as const, "How the key is matched."),
            values: Optional(List(Str("A label value."), "The values for In and NotIn.")),
          },
          "One requirement on a namespace's labels.",
          {
            validations: [
              { rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0", message: "In and NotIn need values; Exists and DoesNotExist take none" },
            ],
          },
        ),
        "Requirements on a namespace's labels, all of them.",
      ),
    ),
  },
  "A label selector over namespaces, as in a NetworkPolicy.",
);

const namespaceSelection = (what: string) =>
  Obj(
    {
      names: Optional(List(Str("A namespace name.", { minLength: 1, maxLength: 63 }), `Namespaces ${what}, by name.`)),
      selector: Optional(labelSelector),
    },
    `Namespaces ${what}: those named, and those whose labels match the selector.`,
  );

const spec = Obj(
  {
    roleArn: Str("The IAM role in the target account that the operator assumes (sts:AssumeRole), chained from its own identity (IRSA or EKS Pod Identity). Its account is the account granted.", {
      pattern: "^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$",
      maxLength: 2048,
    }),
    externalId: Optional(Str("The external id the role's trust policy requires, if any.", { minLength: 2, maxLength: 1224 })),
    sessionTags: Optional(StringMap("Session tags passed to AssumeRole (for attribute-based access control in the target account).")),
    sessionDurationSeconds: Optional(Int("How long each assumed session lasts (default 3600); the operator renews it before it expires.", { minimum: 900, maximum: 43200 })),
    regions: List(Str("An AWS region, e.g. eu-west-1.", { pattern: REGION_PATTERN, maxLength: 32 }), "The regions objects may use in this account; the first is the default.", { minItems: 1, maxItems: 32 }),
    namespaces: namespaceSelection("granted this account"),
    defaultFor: Optional(namespaceSelection("whose objects use this account when they name none (each must also be granted)")),
  },
  "Grants namespaces an AWS account: the role the operator assumes there, and the regions allowed.",
);

const status = Obj(
  {
    observedGeneration: Optional(Int("The metadata.generation the operator last checked.", { format: "int64" })),
    conditions: Optional(List(conditionSchema, "Ready: the role can be assumed.", { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })),
    accountId: Optional(Str("The account id of the role.")),
    lastAssumedAt: Optional(Str("When the operator last assumed the role successfully.")),
  },
  "What the operator found when it assumed the role.",
);

export const awsAccountKind: KindDefinition<typeof spec, typeof status> = {
  kind: "AwsAccount",
  scope: "Cluster",
  plural: "awsaccounts",
  singular: "awsaccount",
  shortNames: ["awsacct"],
  description: "An AWS account granted to namespaces by an administrator: the role the operator assumes there, the regions allowed, and which namespaces may use it (or use it by default).",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Account", type: "string", jsonPath: ".status.accountId", description: "The account id of the role." },
      { name: "Regions", type: "string", jsonPath: ".spec.regions", description: "The regions allowed." },
    ],
    "The operator can assume the role.",
  ),
};

export type AwsAccountSpec = Static<typeof spec>;
export type AwsAccountStatus = Static<typeof status>;
export type AwsAccount = CustomObject<AwsAccountSpec, AwsAccountStatus>;
export type NamespaceSelection = AwsAccountSpec["namespaces"];
