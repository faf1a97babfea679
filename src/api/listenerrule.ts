import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, immutable, Int, List, NameRef, Obj, Optional, Str, StringEnum } from "./schema.js";

const values = (what: string, maxLength: number) => List(Str(what, { minLength: 1, maxLength }), "The values to match; any one of them matches.", { minItems: 1, maxItems: 5 });

/** Each condition field has its own config, as in the ELBv2 API; CEL checks they agree. */
const CONDITION_CONFIGS = {
  "host-header": "hostHeaderConfig",
  "path-pattern": "pathPatternConfig",
  "http-header": "httpHeaderConfig",
  "query-string": "queryStringConfig",
  "http-request-method": "httpRequestMethodConfig",
  "source-ip": "sourceIpConfig",
} as const;

const condition = Obj(
  {
    field: StringEnum(Object.keys(CONDITION_CONFIGS) as (keyof typeof CONDITION_CONFIGS)[], "What the condition matches on; set the config of the same name (path-pattern → pathPatternConfig)."),
    hostHeaderConfig: Optional(Obj({ values: values("A host name, with * and ? wildcards.", 128) }, "[host-header] Host names to match.")),
    pathPatternConfig: Optional(Obj({ values: values("A case-sensitive path pattern, with * and ? wildcards, e.g. /api/*.", 128) }, "[path-pattern] Path patterns to match.")),
    httpHeaderConfig: Optional(
      Obj({ httpHeaderName: Str("The header's name.", { minLength: 1, maxLength: 40 }), values: values("A header value, with * and ? wildcards.", 128) }, "[http-header] A header and the values to match."),
    ),
    queryStringConfig: Optional(
      Obj(
        {
          values: List(
            Obj({ key: Optional(Str("The query parameter's name; omitted, any parameter's value matches.", { maxLength: 128 })), value: Str("The value, with * and ? wildcards.", { minLength: 1, maxLength: 128 }) }, "A query parameter to match."),
            "Query parameters to match; any one of them matches.",
            { minItems: 1, maxItems: 5 },
          ),
        },
        "[query-string] Query parameters to match.",
      ),
    ),
    httpRequestMethodConfig: Optional(Obj({ values: values("An HTTP method, e.g. GET.", 40) }, "[http-request-method] Request methods to match.")),
    sourceIpConfig: Optional(Obj({ values: values("A client address range in CIDR notation.", 64) }, "[source-ip] Client address ranges to match.")),
  },
  "A condition of the rule: all conditions must match for the rule to apply.",
  {
    validations: [
      {
        rule: Object.entries(CONDITION_CONFIGS)
          .map(([field, config]) => `(self.field == '${field}') == has(self.${config})`)
          .join(" && "),
        message: "a condition sets exactly the config of its field (e.g. field: path-pattern with pathPatternConfig)",
      },
    ],
  },
);

const targetGroup = Obj(
  {
    targetGroupRef: Optional(NameRef("TargetGroup")),
    targetGroupArn: Optional(Str("A target group ARN, for one not managed here.", { pattern: "^arn:aws[a-z-]*:elasticloadbalancing:" })),
    weight: Optional(Int("This target group's share of the traffic relative to the others. Defaults to 1.", { minimum: 0, maximum: 999 })),
  },
  "A target group to forward to.",
  { validations: [{ rule: "has(self.targetGroupRef) != has(self.targetGroupArn)", message: "set exactly one of targetGroupRef and targetGroupArn" }] },
);

const action = Obj(
  {
    type: StringEnum(["forward"] as const, "The action's type; forward is the one supported."),
    forwardConfig: Obj(
      {
        targetGroups: List(targetGroup, "The target groups to forward to, with weights.", { minItems: 1, maxItems: 5 }),
        targetGroupStickinessConfig: Optional(
          Obj(
            {
              enabled: Bool("Whether a client stays with the target group it was first routed to."),
              durationSeconds: Optional(Int("How long a client stays with its target group, in seconds.", { minimum: 1, maximum: 604800 })),
            },
            "Target group stickiness across the weighted target groups.",
            { validations: [{ rule: "!self.enabled || has(self.durationSeconds)", message: "durationSeconds is required when stickiness is enabled" }] },
          ),
        ),
      },
      "Where to forward matching requests.",
    ),
  },
  "An action of the rule.",
);

const spec = specSchema(
  {
    listenerArn: Str("The ARN of the existing listener (of an Application Load Balancer) the rule belongs to. Immutable.", {
      pattern: "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/",
      validations: [immutable("listenerArn", "is immutable (a rule cannot move to another listener)")],
    }),
    priority: Int("The rule's priority on the listener, unique there; lower values are evaluated first.", { minimum: 1, maximum: 50000 }),
    conditions: List(condition, "The conditions; a request must match all of them.", { minItems: 1, maxItems: 5 }),
    actions: List(action, "The rule's action: forward to one or more target groups.", { minItems: 1, maxItems: 1 }),
  },
  "The desired ELBv2 listener rule: the CreateRule input, in AWS's field names (camelCase). The operator owns only the rule it created (or adopted), never the listener or its other rules.",
);

const status = statusSchema(
  {
    priority: Optional(Int("The rule's priority on the listener in AWS.")),
    listenerArn: Optional(Str("The listener the rule belongs to.")),
    forwardWeights: Optional(
      List(Obj({ targetGroupArn: Str("A target group."), weight: Int("Its weight.") }, "A target group of the forward action and its weight, in AWS."), "Where the rule forwards in AWS now, with weights."),
    ),
    forwardActionManagedBy: Optional(
      Str("The EcsServices that name this rule as their production or test listener rule: ECS shifts its forward weights at each release, so the operator keeps only the rule's conditions, priority and tags in line with the spec."),
    ),
  },
  "What the operator observed in AWS.",
);

export const listenerRuleKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("ListenerRule"),
  singular: "listenerrule",
  shortNames: ["lrule"],
  description: "A rule on an existing Application Load Balancer listener: path, host, header, query, method or source conditions forwarding to target groups with weights.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Priority", type: "integer", jsonPath: ".status.priority", description: "The rule's priority on the listener." },
      { name: "Listener", type: "string", jsonPath: ".status.listenerArn", description: "The listener the rule belongs to.", priority: 1 },
      { name: "Managed-By", type: "string", jsonPath: ".status.forwardActionManagedBy", description: "Who shifts the forward weights (an EcsService's releases), if not the spec.", priority: 1 },
    ],
  ),

};

export type ListenerRuleSpec = Static<typeof spec>;
export type ListenerRuleStatus = Static<typeof status>;
export type ListenerRule = CustomObject<ListenerRuleSpec, ListenerRuleStatus>;
export type ListenerRuleCondition = ListenerRuleSpec["conditions"][number];
export type ListenerRuleAction = ListenerRuleSpec["actions"][number];
