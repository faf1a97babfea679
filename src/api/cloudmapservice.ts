import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Int, List, Obj, Optional, Str, StringEnum, immutable, NameRef } from "./schema.js";

/** Cloud Map's own pattern for service names, without the look-ahead that OpenAPI patterns lack. */
const SERVICE_NAME = "^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?([.][a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?)*$";

const dnsRecord = Obj(
  {
    type: StringEnum(["A", "AAAA", "SRV", "CNAME"] as const, "The record type Cloud Map creates for each registered instance."),
    ttl: Int("Seconds that DNS resolvers cache the record; updated in place.", { minimum: 0, maximum: 2147483647 }),
  },
  "One DNS record Cloud Map creates for every registered instance.",
);

const spec = specSchema(
  {
    name: Optional(
      Str("The service's name in Cloud Map, the first label of its DNS records (<name>.<namespace name>). Defaults to the object's name. Immutable.", {
        maxLength: 127,
        pattern: SERVICE_NAME,
        validations: [immutable("name")],
      }),
    ),
    namespaceRef: Optional(
      NameRef("CloudMapNamespace", "The CloudMapNamespace to create the service in; the service waits until it is Ready. Set this or namespaceId. Immutable.", {
        validations: [immutable("namespaceRef")],
      }),
    ),
    namespaceId: Optional(
      Str("The id (ns-...) of an existing Cloud Map namespace, instead of namespaceRef. Immutable.", { minLength: 1, maxLength: 64, validations: [immutable("namespaceId")] }),
    ),
    description: Optional(Str("A description of the service; updated in place (AWS refuses updates to services in Http namespaces).", { maxLength: 1024 })),
    dnsConfig: Optional(
      Obj(
        {
          routingPolicy: Optional(
            StringEnum(
              ["MULTIVALUE", "WEIGHTED"] as const,
              "MULTIVALUE (default) answers with up to eight healthy records; WEIGHTED answers with one instance chosen at random. Immutable.",
            ),
          ),
          dnsRecords: List(dnsRecord, "The records for each instance: A, AAAA, A and AAAA, SRV, or CNAME. The types are immutable; their TTLs are updated in place.", {
            minItems: 1,
            maxItems: 2,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
            validations: [
              { rule: "self.size() == 1 || self.all(r, r.type == 'A' || r.type == 'AAAA')", message: "the records must be A, AAAA, A and AAAA, SRV, or CNAME: only A and AAAA combine" },
              {
                rule: "self.all(r, oldSelf.exists(o, o.type == r.type)) && oldSelf.all(o, self.exists(r, r.type == o.type))",
                message: "the record types are immutable; only their ttl can change",
              },
            ],
          }),
        },
        "The DNS records Cloud Map creates for each instance; required in DNS namespaces, not allowed in Http namespaces.",
        {
          validations: [
            {
              rule: "(has(self.routingPolicy) ? self.routingPolicy : 'MULTIVALUE') == (has(oldSelf.routingPolicy) ? oldSelf.routingPolicy : 'MULTIVALUE')",
              message: "routingPolicy is immutable",
              fieldPath: ".routingPolicy",
            },
            {
              rule: "!self.dnsRecords.exists(r, r.type == 'CNAME') || (has(self.routingPolicy) && self.routingPolicy == 'WEIGHTED')",
              message: "a CNAME record needs routingPolicy WEIGHTED",
              fieldPath: ".routingPolicy",
            },
          ],
        },
      ),
    ),
    healthCheckCustomConfig: Optional(
      Obj(
        {
          failureThreshold: Optional(
            Int("Deprecated by AWS, which always acts on the first status update; accepted so that existing definitions paste in.", { minimum: 1, maximum: 10 }),
          ),
        },
        "Use instance health from UpdateInstanceCustomHealthStatus (ECS reports its tasks' health this way). Immutable.",
        { validations: [immutable("healthCheckCustomConfig")] },
      ),
    ),
    type: Optional(
      StringEnum(["HTTP"] as const, "HTTP: instances are discoverable only through the DiscoverInstances API, even in a DNS namespace (no DNS records). Immutable.", {
        validations: [immutable("type")],
      }),
    ),
  },
  "The desired Cloud Map service: the CreateService input, in AWS's field names.",
  {
    validations: [
      { rule: "has(self.namespaceRef) != has(self.namespaceId)", message: "set exactly one of namespaceRef and namespaceId" },
      { rule: "!(has(self.type) && has(self.dnsConfig))", message: "a service of type HTTP has no DNS records: remove dnsConfig", fieldPath: ".dnsConfig" },
      { rule: "has(self.namespaceRef) == has(oldSelf.namespaceRef)", message: "cannot switch between namespaceRef and namespaceId", fieldPath: ".namespaceRef" },
      { rule: "has(self.name) == has(oldSelf.name)", message: "name cannot be added or removed after creation", fieldPath: ".name" },
      { rule: "has(self.dnsConfig) == has(oldSelf.dnsConfig)", message: "dnsConfig cannot be added or removed after creation", fieldPath: ".dnsConfig" },
      { rule: "has(self.healthCheckCustomConfig) == has(oldSelf.healthCheckCustomConfig)", message: "healthCheckCustomConfig is immutable", fieldPath: ".healthCheckCustomConfig" },
      { rule: "has(self.type) == has(oldSelf.type)", message: "type is immutable", fieldPath: ".type" },
    ],
  },
);

const status = statusSchema(
  {
    id: Optional(Str("The service's id (srv-...).")),
    name: Optional(Str("The service's name in Cloud Map.")),
    namespaceId: Optional(Str("The id of the Cloud Map namespace the service is in.")),
  },
  "What the operator observed in AWS.",
);

export const cloudMapServiceKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("CloudMapService"),
  singular: "cloudmapservice",
  shortNames: ["cmsvc"],
  description: "An AWS Cloud Map service: the DNS records (A, AAAA, SRV, CNAME) and health settings under which ECS registers a service's tasks.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "AWS-Name", type: "string", jsonPath: ".status.name", description: "The service's name in Cloud Map." },
      { name: "ID", type: "string", jsonPath: ".status.id", description: "The service's id in Cloud Map." },
      { name: "Namespace-ID", type: "string", jsonPath: ".status.namespaceId", description: "The Cloud Map namespace it is in.", priority: 1 },
    ],
  ),

};

export type CloudMapServiceSpec = Static<typeof spec>;
export type CloudMapServiceStatus = Static<typeof status>;
export type CloudMapService = CustomObject<CloudMapServiceSpec, CloudMapServiceStatus>;
