import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Int, Optional, Str, StringEnum, immutable } from "./schema.js";

/** One DNS label per dot, as Route 53 hosted zones require; `[.]` avoids escaping through CEL and YAML. */
const DNS_NAME = "^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.]?$";

const spec = specSchema(
  {
    type: StringEnum(
      ["DnsPrivate", "DnsPublic", "Http"] as const,
      "DnsPrivate: DNS records resolvable inside one VPC (a private Route 53 hosted zone); DnsPublic: DNS records on the internet (a public hosted zone); Http: discovery through the DiscoverInstances API only, no DNS. Immutable.",
      { validations: [immutable("type")] },
    ),
    name: Str(
      "The namespace's name. For DNS namespaces a domain name such as app.local: services become <service>.<name>. Required, because the domain is a choice a default could not make well. Immutable.",
      { minLength: 1, maxLength: 1024, pattern: "^[!-~]+$", validations: [immutable("name")] },
    ),
    vpc: Optional(
      Str("The id of the VPC (vpc-...) a DnsPrivate namespace is resolvable in; required for DnsPrivate and not allowed for the other types. Immutable.", {
        pattern: "^vpc-[0-9a-f]+$",
        validations: [immutable("vpc")],
      }),
    ),
    description: Optional(Str("A description of the namespace; updated in place.", { maxLength: 1024 })),
  },
  "The desired Cloud Map namespace: the CreatePrivateDnsNamespace, CreatePublicDnsNamespace or CreateHttpNamespace input, in AWS's field names.",
  {
    validations: [
      {
        rule: "self.type == 'DnsPrivate' ? has(self.vpc) : !has(self.vpc)",
        messageExpression: "self.type == 'DnsPrivate' ? 'vpc is required for a DnsPrivate namespace' : 'vpc is not allowed for a ' + self.type + ' namespace, only for DnsPrivate'",
        fieldPath: ".vpc",
      },
      {
        rule: `self.type == 'Http' || (size(self.name) <= 253 && self.name.matches('${DNS_NAME}'))`,
        messageExpression: `"a DNS namespace's name must be a domain name of at most 253 characters, e.g. app.local; got " + self.name`,
        fieldPath: ".name",
      },
    ],
  },
);

const status = statusSchema(
  {
    id: Optional(Str("The namespace's id (ns-...); a CloudMapService's namespaceRef resolves to it.")),
    hostedZoneId: Optional(Str("The Route 53 hosted zone that Cloud Map created for a DNS namespace.")),
    operationId: Optional(
      Str("The asynchronous Cloud Map operation (create or update) the operator is waiting for; absent once it has finished. After a restart the operator polls this operation instead of starting another."),
    ),
    operationGeneration: Optional(
      Int("The metadata.generation whose spec started operationId. A failed operation blocks only that generation: a corrected spec is tried afresh.", { format: "int64" }),
    ),
  },
  "What the operator observed in AWS.",
);

export const cloudMapNamespaceKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("CloudMapNamespace"),
  singular: "cloudmapnamespace",
  shortNames: ["cmns"],
  description: "An AWS Cloud Map namespace (private DNS, public DNS or HTTP) in which CloudMapServices register their instances.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Type", type: "string", jsonPath: ".spec.type", description: "DnsPrivate, DnsPublic or Http." },
      { name: "AWS-Name", type: "string", jsonPath: ".spec.name", description: "The namespace's name in Cloud Map (a domain for DNS namespaces)." },
      { name: "ID", type: "string", jsonPath: ".status.id", description: "The namespace's id in Cloud Map." },
    ],
  ),

};

export type CloudMapNamespaceSpec = Static<typeof spec>;
export type CloudMapNamespaceStatus = Static<typeof status>;
export type CloudMapNamespace = CustomObject<CloudMapNamespaceSpec, CloudMapNamespaceStatus>;
